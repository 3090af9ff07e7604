using RebarProvision.Dhcp;
using RebarProvision.Model;

namespace RebarProvision.Server.Dhcp;

/// <summary>A subnet read once for answering: its network, range and options already in wire form.</summary>
internal sealed class SubnetPlan
{
    public SubnetPlan(Subnet subnet, Ipv4Network network, AddressRange range, IReadOnlyList<DhcpOption> options, uint? nextServer)
    {
        Subnet = subnet;
        Network = network;
        Range = range;
        Options = options;
        NextServer = nextServer;
        NextFreeCursor = range.First;
    }

    public Subnet Subnet { get; }

    public string Name => Subnet.Name;

    public Ipv4Network Network { get; }

    public AddressRange Range { get; }

    public IReadOnlyList<DhcpOption> Options { get; }

    public uint? NextServer { get; }

    /// <summary>Serialises this node's nextFree picks, so its own workers do not race for one address.</summary>
    public SemaphoreSlim PickLock { get; } = new(1, 1);

    /// <summary>
    /// Where this node's last nextFree search ended: a hint only (the store decides), so the next search need not
    /// walk the whole used part of the range again.
    /// </summary>
    public uint NextFreeCursor { get; set; }

    public bool AnswersPxeOnly => Subnet.Proxy || Subnet.Unmanaged;
}
