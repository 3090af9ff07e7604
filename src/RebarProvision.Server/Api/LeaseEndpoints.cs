using RebarProvision.Model;
using RebarProvision.Store;

namespace RebarProvision.Server.Api;

/// <summary>Leases are written by the DHCP service; the API reads them and lets an operator delete one.</summary>
public static class LeaseEndpoints
{
    public static void MapLeaseEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/leases").WithTags("leases");

        group.MapGet("/", async (string? subnet, string? state, string? token, IStore store, CancellationToken ct) =>
        {
            LeaseState? wanted = null;
            if (state is not null)
            {
                wanted = Enum.TryParse<LeaseState>(state, ignoreCase: true, out var parsed)
                    ? parsed
                    : throw new ValidationFailedException("state", "must be offered, bound, expired, declined or released");
            }
            var leases = await store.Leases.ListAsync(subnet, ct);
            var matching = leases
                .Where(l => wanted is null || l.State == wanted)
                .Where(l => token is null || string.Equals(l.Token, token, StringComparison.OrdinalIgnoreCase));
            return Results.Json(matching.ToList(), ModelJson.Options);
        }).Produces<List<Lease>>();

        group.MapGet("/{addr}", async (string addr, IStore store, CancellationToken ct) =>
            await store.Leases.GetAsync(addr, ct) is { } lease
                ? Results.Json(lease, ModelJson.Options)
                : Problems.NotFound($"leases/{addr} does not exist"))
            .Produces<Lease>().ProducesProblem(StatusCodes.Status404NotFound);

        group.MapDelete("/{addr}", async (string addr, IStore store, CancellationToken ct) =>
            await store.Leases.DeleteAsync(addr, ct)
                ? Results.NoContent()
                : Problems.NotFound($"leases/{addr} does not exist"))
            .ProducesProblem(StatusCodes.Status404NotFound);
    }
}
