using RebarProvision.Model;
using RebarProvision.Server.Api;
using RebarProvision.Store.Postgres;

namespace RebarProvision.Server.Cluster;

/// <summary>
/// <c>/api/v1/nodes</c>: the cluster as this node last read it (refreshed every second). A dead node's row stays
/// until an operator deletes it; a live one cannot be deleted (its next heartbeat would write it back).
/// </summary>
public static class NodeEndpoints
{
    public static void MapNodeEndpoints(this RouteGroupBuilder api, PostgresNodeTable? table)
    {
        var group = api.MapGroup("/nodes").WithTags("nodes");

        group.MapGet("/", (LiveNodes nodes) =>
            Results.Json(nodes.All.Select(n => NodeStatus.Of(n, nodes.Self)).ToList(), ModelJson.Options))
            .Produces<List<NodeStatus>>();

        group.MapGet("/{name}", (string name, LiveNodes nodes) =>
            nodes.All.FirstOrDefault(n => n.Name == name) is { } node
                ? Results.Json(NodeStatus.Of(node, nodes.Self), ModelJson.Options)
                : Problems.NotFound($"nodes/{name} does not exist"))
            .Produces<NodeStatus>().ProducesProblem(StatusCodes.Status404NotFound);

        group.MapDelete("/{name}", async (string name, LiveNodes nodes, CancellationToken ct) =>
        {
            if (nodes.All.FirstOrDefault(n => n.Name == name) is not { } node)
            {
                return Problems.NotFound($"nodes/{name} does not exist");
            }
            if (node.Live || table is null || !await table.DeleteDeadAsync(name, LiveNodes.DeadAfter, ct))
            {
                return Problems.Conflict($"node '{name}' is live; only a node unseen for {LiveNodes.DeadAfter.TotalSeconds:0} s can be forgotten");
            }
            return Results.NoContent();
        }).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
    }
}
