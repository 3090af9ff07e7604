using RebarProvision.Store;

namespace RebarProvision.Server.Cluster;

/// <summary>A node as <c>GET /api/v1/nodes</c> shows it; <see cref="Self"/> marks the node that answered.</summary>
public sealed record NodeStatus(
    string Name,
    string ApiUrl,
    string BootUrl,
    IReadOnlyList<string> Addresses,
    string Version,
    DateTimeOffset StartedAt,
    DateTimeOffset LastSeen,
    bool Live,
    bool Singleton,
    bool Self)
{
    public static NodeStatus Of(ClusterNode node, string self) =>
        new(node.Name, node.ApiUrl, node.BootUrl, node.Addresses, node.Version, node.StartedAt, node.LastSeen, node.Live, node.Singleton, node.Name == self);
}
