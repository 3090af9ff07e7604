using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RebarProvision.Model;
using RebarProvision.Server.Objects;
using RebarProvision.Server.Secrets;

namespace RebarProvision.Server.Api;

/// <summary>
/// The machine inventory in Ansible's dynamic-inventory JSON (the <c>--list</c> form with <c>_meta.hostvars</c>, so
/// Ansible asks once): one host per machine, named by the machine's name; groups <c>bootenv_&lt;name&gt;</c>,
/// <c>profile_&lt;name&gt;</c> and <c>state_&lt;state&gt;</c>; <c>ansible_host</c> from the bound lease, else the
/// reservation, else the machine's recorded address; host vars from the resolved params, leaving out every param
/// declared secure (Ansible output lands in logs and CI transcripts; a playbook that needs a secret should fetch it
/// with an admin credential on purpose).
/// </summary>
public static partial class AnsibleInventory
{
    public static JsonObject Build(ObjectCache cache, IReadOnlyList<Lease> leases)
    {
        var bound = leases.Where(l => l.State == LeaseState.Bound)
            .GroupBy(l => l.Token.ToLowerInvariant())
            .ToDictionary(g => g.Key, g => g.MaxBy(l => l.ExpiresAt)!.Addr);
        var reserved = cache.All<Reservation>()
            .GroupBy(r => r.Token.ToLowerInvariant())
            .ToDictionary(g => g.Key, g => g.First().Addr);
        var secure = cache.All<Param>().Where(p => p.Secure).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var groups = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        var hostvars = new JsonObject();
        foreach (var machine in cache.All<Machine>().OrderBy(m => m.Name, StringComparer.Ordinal))
        {
            var macs = machine.HardwareAddrs.Select(m => m.ToLowerInvariant()).ToList();
            var address = macs.Select(m => bound.GetValueOrDefault(m)).FirstOrDefault(a => a is not null)
                ?? macs.Select(m => reserved.GetValueOrDefault(m)).FirstOrDefault(a => a is not null)
                ?? machine.Address;
            var vars = new JsonObject();
            if (address is not null)
            {
                vars["ansible_host"] = address;
            }
            vars["rebar_uuid"] = machine.Uuid;
            vars["rebar_state"] = machine.State.ToString().ToLowerInvariant();
            vars["rebar_bootenv"] = machine.BootEnv;
            vars["rebar_hardware_addrs"] = new JsonArray(machine.HardwareAddrs.Select(m => (JsonNode?)JsonValue.Create(m)).ToArray());
            foreach (var (name, value) in ParamResolver.Resolve(machine, cache.Get<Profile>, cache.All<Param>()))
            {
                if (!secure.Contains(name) && !SecureParams.IsSealed(value))
                {
                    vars[VariableName(name)] = value?.DeepClone();
                }
            }
            hostvars[machine.Name] = vars;
            Add(groups, "bootenv_" + GroupName(machine.BootEnv ?? "local"), machine.Name);
            Add(groups, "state_" + GroupName(machine.State.ToString().ToLowerInvariant()), machine.Name);
            foreach (var profile in machine.Profiles)
            {
                Add(groups, "profile_" + GroupName(profile), machine.Name);
            }
        }
        var inventory = new JsonObject
        {
            ["_meta"] = new JsonObject { ["hostvars"] = hostvars },
            ["all"] = new JsonObject { ["children"] = new JsonArray(groups.Keys.Prepend("ungrouped").Select(g => (JsonNode?)JsonValue.Create(g)).ToArray()) },
        };
        foreach (var (group, hosts) in groups)
        {
            inventory[group] = new JsonObject { ["hosts"] = new JsonArray(hosts.Select(h => (JsonNode?)JsonValue.Create(h)).ToArray()) };
        }
        return inventory;
    }

    private static void Add(SortedDictionary<string, SortedSet<string>> groups, string group, string host)
    {
        if (!groups.TryGetValue(group, out var hosts))
        {
            groups[group] = hosts = new SortedSet<string>(StringComparer.Ordinal);
        }
        hosts.Add(host);
    }

    /// <summary>Ansible group and variable names are Python identifiers; it warns about, and may rewrite, anything else.</summary>
    public static string GroupName(string name) => NotIdentifier().Replace(name, "_");

    private static string VariableName(string name) => NotIdentifier().Replace(name, "_");

    [GeneratedRegex("[^A-Za-z0-9_]")]
    private static partial Regex NotIdentifier();
}
