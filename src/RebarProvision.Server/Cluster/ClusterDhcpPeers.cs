using RebarProvision.Dhcp.Server;

namespace RebarProvision.Server.Cluster;

/// <summary>
/// Splits new DHCP clients among the live nodes (DESIGN §7) as Kea's load-balancing HA does: the client's RFC 3074
/// hash modulo the number of live nodes, which are listed by name on every node alike, picks the one that offers.
/// When a node dies its share moves to the survivors with the next heartbeat that counts it out. A node that is not
/// in the list (starting up, or cut off from the database) offers to everyone: a double offer costs a NAK at worst,
/// since the store's claim decides, while no offer at all leaves a machine without an address.
/// </summary>
public sealed class ClusterDhcpPeers : IDhcpPeers
{
    private readonly LiveNodes _nodes;
    private volatile DhcpShare _share = DhcpShare.All;

    public ClusterDhcpPeers(LiveNodes nodes)
    {
        _nodes = nodes;
        nodes.Changed += Update;
        Update();
    }

    public DhcpShare Share => _share;

    private void Update()
    {
        var live = _nodes.Live;
        var index = -1;
        for (var i = 0; i < live.Count; i++)
        {
            if (live[i].Name == _nodes.Self)
            {
                index = i;
            }
        }
        _share = index < 0 ? DhcpShare.All : new DhcpShare(index, live.Count);
    }
}
