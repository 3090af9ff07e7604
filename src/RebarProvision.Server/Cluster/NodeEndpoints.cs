using System.Text.Json;
using System.Text.Json.Nodes;
using RebarProvision.Model;
using RebarProvision.Server.Api;
using RebarProvision.Store;
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
            Results.Json(new JsonArray([.. nodes.All.Select(n => View(n, nodes.Self))]), ModelJson.Options))
            .Produces<List<ClusterNode>>();

        group.MapGet("/{name}", (string name, LiveNodes nodes) =>
            nodes.All.FirstOrDefault(n => n.Name == name) is { } node
                ? Results.Json(View(node, nodes.Self), ModelJson.Options)
                : Problems.NotFound($"nodes/{name} does not exist"))
            .Produces<ClusterNode>().ProducesProblem(StatusCodes.Status404NotFound);

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

    /// <summary>The node's row, and <c>self</c>: whether it is the node that answered.</summary>
    private static JsonNode View(ClusterNode node, string self)
    {
        var view = JsonSerializer.SerializeToNode(node, ModelJson.Options)!.AsObject();
        view["self"] = node.Name == self;
        return view;
    }
}
