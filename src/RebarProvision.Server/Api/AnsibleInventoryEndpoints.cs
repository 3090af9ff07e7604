using RebarProvision.Server.Objects;
using RebarProvision.Store;

namespace RebarProvision.Server.Api;

/// <summary><c>GET /inventory/ansible</c> (the whole inventory) and <c>?host=</c> (one host's vars, for <c>--host</c>).</summary>
public static class AnsibleInventoryEndpoints
{
    public static void MapAnsibleInventoryEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/inventory/ansible", async (string? host, ObjectCache cache, IStore store, CancellationToken ct) =>
        {
            var inventory = AnsibleInventory.Build(cache, await store.Leases.ListAsync(null, ct));
            if (host is null)
            {
                return Results.Json(inventory);
            }
            // Ansible's --host contract: an unknown host is an empty object, not an error.
            return Results.Json(inventory["_meta"]!["hostvars"]![host] ?? new System.Text.Json.Nodes.JsonObject());
        }).WithTags("inventory").WithName("ansible-inventory").Produces<System.Text.Json.Nodes.JsonObject>();
    }
}
