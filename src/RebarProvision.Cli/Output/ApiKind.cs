using System.Text.Json.Nodes;
using static RebarProvision.Cli.Output.TableColumn;

namespace RebarProvision.Cli.Output;

/// <summary>
/// A kind of object as rebarctl shows it: its API path segment, the field that is its key, whether it can be
/// written (leases are written by the DHCP service only), and its table columns.
/// </summary>
public sealed record ApiKind(string Name, string Description, string KeyField, bool Writable, IReadOnlyList<TableColumn> Columns)
{
    public string KeyOf(JsonNode item) => item[KeyField]?.ToString() ?? "";

    public static readonly ApiKind Machines = new("machines", "Machines: the inventory of physical and virtual servers", "uuid", true,
    [
        Field("NAME", "name"), Field("UUID", "uuid"), Field("STATE", "state"), Field("BOOTENV", "bootEnv"),
        Field("ADDRESS", "address"), Field("MACS", "hardwareAddrs"),
    ]);

    public static readonly ApiKind Images = new("images", "Images: content-addressed kernels, initrds, ISOs", "sha256", true,
    [
        Field("NAME", "name"),
        new("SHA256", i => i["sha256"]?.ToString() is { Length: > 12 } sha ? sha[..12] : i["sha256"]?.ToString() ?? ""),
        Field("SIZE", "size"), Field("NODES", "nodes"),
    ]);

    public static readonly ApiKind Rollouts = new("rollouts", "Rolling reimages (started with 'machines reimage --selector'; read, stop, and delete a finished one)", "id", false,
    [
        Field("ID", "id"), Field("STATE", "state"), Field("BOOTENV", "bootEnv"), Field("MAX UNAVAILABLE", "maxUnavailable"),
        new("INSTALLED", r => $"{r["machines"]?.AsArray().Count(m => m?["state"]?.ToString() == "installed") ?? 0}/{r["machines"]?.AsArray().Count ?? 0}"),
        Field("MESSAGE", "stateMessage"),
    ]);

    public static IReadOnlyList<ApiKind> All { get; } =
    [
        Machines,
        new("profiles", "Profiles: named sets of params shared by machines", "name", true,
            [Field("NAME", "name"), new("PARAMS", p => (p["params"] as JsonObject)?.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "0"), Field("DESCRIPTION", "description")]),
        new("params", "Params: declared params with their schema", "name", true,
            [Field("NAME", "name"), Field("TYPE", "schema.type"), Field("SECURE", "secure"), Field("DESCRIPTION", "description")]),
        new("bootenvs", "Boot environments: kernels, initrds and templates to boot", "name", true,
            [Field("NAME", "name"), Field("OS", "os.family"), Field("VERSION", "os.version"), Field("ARCH", "arch"), Field("VALID", "validated")]),
        new("templates", "Templates: shared Scriban templates", "name", true,
            [Field("NAME", "name"), new("BYTES", t => (t["contents"]?.ToString().Length ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture)), Field("DESCRIPTION", "description")]),
        new("subnets", "Subnets the DHCP service answers for", "name", true,
            [Field("NAME", "name"), Field("CIDR", "cidr"), new("RANGE", s => $"{s["activeStart"]}-{s["activeEnd"]}"), Field("ENABLED", "enabled"), Field("PROXY", "proxy")]),
        new("reservations", "Reservations: fixed addresses for MACs", "addr", true,
            [Field("ADDR", "addr"), Field("TOKEN", "token"), Field("SUBNET", "subnet"), Field("DESCRIPTION", "description")]),
        new("leases", "Leases handed out by the DHCP service (read and delete only)", "addr", false,
            [Field("ADDR", "addr"), Field("TOKEN", "token"), Field("SUBNET", "subnet"), Field("STATE", "state"), Field("EXPIRES", "expiresAt"), Field("NODE", "node")]),
        Images,
        new("nodes", "Nodes of the cluster, as their heartbeats say (read, and delete a dead one)", "name", false,
            [Field("NAME", "name"), Field("LIVE", "live"), Field("SELF", "self"), Field("SINGLETON", "singleton"), Field("API", "apiUrl"),
             Field("BOOT", "bootUrl"), Field("VERSION", "version"), Field("LAST SEEN", "lastSeen")]),
        Rollouts,
        new("users", "Users: local accounts", "name", true,
            [Field("NAME", "name"), Field("ROLE", "role")]),
        new("tokens", "API tokens", "id", true,
            [Field("ID", "id"), Field("USER", "user"), Field("ROLE", "role"), Field("MACHINE", "machine"), Field("EXPIRES", "expiresAt")]),
    ];

    /// <summary>Events as <c>events watch</c> and <c>events list</c> show them.</summary>
    public static IReadOnlyList<TableColumn> EventColumns { get; } =
        [Field("ID", "id"), Field("TIME", "time"), Field("KIND", "kind"), Field("KEY", "key"), Field("ACTOR", "actor")];
}
