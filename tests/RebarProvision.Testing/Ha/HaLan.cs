
namespace RebarProvision.Testing.Ha;

/// <summary>
/// One L2 segment for an HA test: a hub namespace holding a bridge (with the relay's address on it) and a namespace
/// per member (load generator, server nodes), each joined to the bridge by a veth whose member end is "eth0". All
/// addresses live in 10.89.0.0/16 inside these namespaces; nothing touches the machine's own interfaces.
/// </summary>
public sealed class HaLan : IDisposable
{
    public const string Prefix = "10.89";

    /// <summary>The relay, on the hub's bridge.</summary>
    public const string RelayAddress = Prefix + ".0.3";

    private readonly List<NetworkNamespace> _members = [];

    private HaLan(NetworkNamespace hub) => Hub = hub;

    public NetworkNamespace Hub { get; }

    public static HaLan Create()
    {
        var hub = NetworkNamespace.Create("hah");
        hub.Exec("ip", "link", "add", "br0", "type", "bridge");
        hub.Exec("ip", "addr", "add", RelayAddress + "/16", "dev", "br0");
        hub.Exec("ip", "link", "set", "br0", "up");
        return new HaLan(hub);
    }

    /// <summary>A new namespace on the segment with <paramref name="address"/> (a /16 host) on its eth0.</summary>
    public NetworkNamespace AddMember(string prefix, string address)
    {
        var member = NetworkNamespace.Create(prefix);
        _members.Add(member);
        var hubEnd = "h" + member.Name[^6..];
        ProcessRunner.RunCheckedAsync("ip", "link", "add", hubEnd, "netns", Hub.Name, "type", "veth", "peer", "name", "eth0", "netns", member.Name)
            .GetAwaiter().GetResult();
        Hub.Exec("ip", "link", "set", hubEnd, "master", "br0");
        Hub.Exec("ip", "link", "set", hubEnd, "up");
        member.Exec("ip", "addr", "add", address + "/16", "dev", "eth0");
        member.Exec("ip", "link", "set", "eth0", "up");
        return member;
    }

    public void Dispose()
    {
        foreach (var member in _members)
        {
            member.Dispose();
        }
        Hub.Dispose();
    }
}
