using RebarProvision.Dhcp.Server;

namespace RebarProvision.Server.Cluster;

/// <summary>
/// Splits new DHCP clients among the live nodes (DESIGN §7) as Kea's load-balancing HA does: the client's RFC 3074
/// hash modulo the number of live nodes, which are listed by name on every node alike, picks the one that offers.
/// When a node dies its share moves to the survivors with the next heartbeat that counts it out. A node that is not
/// in the list (starting up, or cut off from the database) offers to everyone: a double offer costs a NAK at worst,
/// since the store's claim decides, while no offer at all leaves a machine without an address.
/// </summary>
public sealed class DhcpShare : IDhcpPeers
{
    private volatile Split _split = new(0, 1);

    public DhcpShare(LiveNodes nodes)
    {
        nodes.Changed += () => _split = SplitOf(nodes);
        _split = SplitOf(nodes);
    }

    public bool OffersTo(byte hash)
    {
        var split = _split;
        return split.Index < 0 || hash % split.Count == split.Index;
    }

    private static Split SplitOf(LiveNodes nodes)
    {
        var live = nodes.Live;
        var index = -1;
        for (var i = 0; i < live.Count; i++)
        {
            if (live[i].Name == nodes.Self)
            {
                index = i;
            }
        }
        return new Split(index, Math.Max(1, live.Count));
    }

    /// <summary>This node's place among <paramref name="Count"/> live nodes; -1 when it is not among them.</summary>
    private sealed record Split(int Index, int Count);
}
