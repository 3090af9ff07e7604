using RebarProvision.Dhcp;
using RebarProvision.Model;

namespace RebarProvision.Dhcp.Server;

/// <summary>
/// A subnet read once for answering: its network, range and options already in wire form. Fixed until the next
/// reload; what this node learns while answering (offers, the nextFree cursor) is its <see cref="State"/>.
/// </summary>
internal sealed class SubnetPlan
{
    private readonly DhcpOption[] _leaseTimeOptions;
    private readonly DhcpOption[] _reservedLeaseTimeOptions;
    private readonly uint[] _relays;

    /// <param name="state">This node's state of the subnet, carried over from the previous plan when the range is unchanged.</param>
    /// <param name="relays">The relay addresses allowed (see <see cref="Model.Subnet.Relays"/>); empty allows relays inside the network.</param>
    public SubnetPlan(Subnet subnet, Ipv4Network network, AddressRange range, DhcpOption[] options, uint? nextServer, uint[] relays, SubnetState state)
    {
        _relays = relays;
        Subnet = subnet;
        Network = network;
        Range = range;
        Options = options;
        NextServer = nextServer;
        State = state;
        _leaseTimeOptions = LeaseTimeOptionsFor(subnet.LeaseTime);
        _reservedLeaseTimeOptions = LeaseTimeOptionsFor(subnet.ReservedLeaseTime);
    }

    public Subnet Subnet { get; }

    public string Name => Subnet.Name;

    public Ipv4Network Network { get; }

    public AddressRange Range { get; }

    /// <summary>The subnet's options in wire form (an array, so answering walks it without an enumerator).</summary>
    public DhcpOption[] Options { get; }

    public uint? NextServer { get; }

    public SubnetState State { get; }

    public bool AnswersPxeOnly => Subnet.Proxy || Subnet.Unmanaged;

    /// <summary>Whether a request relayed through <paramref name="relay"/> (giaddr) is answered for this subnet.</summary>
    public bool AcceptsRelay(uint relay) => _relays.Length == 0 ? Network.Contains(relay) : Array.IndexOf(_relays, relay) >= 0;

    /// <summary>Options 51, 58 and 59 for a pool lease or a reserved one, encoded once rather than per reply.</summary>
    public DhcpOption[] LeaseTimeOptions(bool reserved) => reserved ? _reservedLeaseTimeOptions : _leaseTimeOptions;

    /// <summary>RFC 2131 §4.4.5: T1 defaults to half the lease, T2 to seven eighths.</summary>
    private static DhcpOption[] LeaseTimeOptionsFor(int leaseSeconds)
    {
        var seconds = (uint)leaseSeconds;
        var options = new DhcpOptions()
            .SetUInt32(DhcpOptionCode.LeaseTime, seconds)
            .SetUInt32(DhcpOptionCode.RenewalTime, seconds / 2)
            .SetUInt32(DhcpOptionCode.RebindingTime, (uint)(seconds * 7L / 8));
        return [.. options.Items];
    }
}
