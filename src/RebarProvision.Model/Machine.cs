using System.Text.Json.Nodes;

namespace RebarProvision.Model;

/// <summary>A physical (or virtual) machine known to the provisioner, keyed by uuid and found by any of its MACs.</summary>
public sealed class Machine : StoredObject
{
    protected override string KeyValue => Uuid;

    public string Uuid { get; set; } = "";

    public string Name { get; set; } = "";

    public string? Description { get; set; }

    public List<string> HardwareAddrs { get; set; } = [];

    public string? Address { get; set; }

    public string Arch { get; set; } = "amd64";

    public string? BootEnv { get; set; }

    public List<string> Profiles { get; set; } = [];

    public Dictionary<string, JsonNode?> Params { get; set; } = new(StringComparer.Ordinal);

    public MachineState State { get; set; } = MachineState.Discovered;

    /// <summary>Why the machine is in its state, e.g. the installer's failure message.</summary>
    public string? StateMessage { get; set; }

    public DateTimeOffset? LastBootAt { get; set; }

    /// <summary>
    /// When the machine last entered <see cref="MachineState.Provisioning"/> (or was reimaged); null in any other
    /// state. Kept by the server, not the caller: the stuck-machine timeout counts from here, which UpdatedAt
    /// cannot do because boots and inventory posts also update the machine.
    /// </summary>
    public DateTimeOffset? ProvisioningSince { get; set; }

    /// <summary>The SMBIOS/PXE client UUID (DHCP option 97), when the firmware sent one.</summary>
    public string? ClientUuid { get; set; }

    /// <summary>What discovery reported: CPUs, memory, disks, NICs, serial, vendor.</summary>
    public JsonObject? Inventory { get; set; }

    public PowerEndpoint? Power { get; set; }

    /// <summary>
    /// The per-boot secret in the URLs the server hands this machine (<c>env.machine_url</c>) and in its callback
    /// token, sealed like a secure param. Kept by the server, not the caller: made on create, rotated on every
    /// reimage or on request, and whatever a caller sends here is ignored.
    /// </summary>
    public JsonNode? BootSecret { get; set; }

    public override IEnumerable<FieldError> Validate()
    {
        if (!Guid.TryParse(Uuid, out _))
        {
            yield return new FieldError("uuid", "must be a UUID");
        }
        foreach (var error in Names.Check("name", Name))
        {
            yield return error;
        }
        for (var i = 0; i < HardwareAddrs.Count; i++)
        {
            if (!HardwareAddress.TryNormalize(HardwareAddrs[i], out _))
            {
                yield return new FieldError($"hardwareAddrs[{i}]", $"'{HardwareAddrs[i]}' is not a MAC address");
            }
        }
        if (HardwareAddrs.Distinct(StringComparer.OrdinalIgnoreCase).Count() != HardwareAddrs.Count)
        {
            yield return new FieldError("hardwareAddrs", "lists a MAC address twice");
        }
        if (Address is not null && !Ipv4Network.TryParseAddress(Address, out _))
        {
            yield return new FieldError("address", $"'{Address}' is not an IPv4 address");
        }
        if (Arch is not ("amd64" or "arm64"))
        {
            yield return new FieldError("arch", "must be amd64 or arm64");
        }
        if (BootEnv is not null)
        {
            foreach (var error in Names.Check("bootEnv", BootEnv))
            {
                yield return error;
            }
        }
        for (var i = 0; i < Profiles.Count; i++)
        {
            foreach (var error in Names.Check($"profiles[{i}]", Profiles[i]))
            {
                yield return error;
            }
        }
        if (Power is not null)
        {
            foreach (var error in Power.Validate("power"))
            {
                yield return error;
            }
        }
    }

    /// <summary>Puts MACs into their stored form; called before validation and storage.</summary>
    public void Normalize()
    {
        HardwareAddrs = HardwareAddrs
            .Select(mac => HardwareAddress.TryNormalize(mac, out var n) ? n : mac)
            .ToList();
        if (string.IsNullOrEmpty(Uuid))
        {
            Uuid = Guid.NewGuid().ToString();
        }
        else if (Guid.TryParse(Uuid, out var uuid))
        {
            Uuid = uuid.ToString();
        }
    }

    public override IEnumerable<UniqueValue> UniqueValues()
    {
        yield return new UniqueValue("name", Name);
        foreach (var mac in HardwareAddrs)
        {
            yield return new UniqueValue("hardwareAddrs", mac);
        }
    }
}
