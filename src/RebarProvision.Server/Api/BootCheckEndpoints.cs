using RebarProvision.Server.Configuration;
using RebarProvision.Server.Images;
using RebarProvision.Server.Machines;
using RebarProvision.Server.Objects;
using RebarProvision.Store;

namespace RebarProvision.Server.Api;

/// <summary><c>GET /machines/{id}/boot-check</c>: whether the machine can boot from this node, and if not why.</summary>
public static class BootCheckEndpoints
{
    public static void MapBootCheckEndpoints(this RouteGroupBuilder api) =>
        api.MapGet("/machines/{id}/boot-check", async (string id, Inventory inventory, BootEnvReadiness readiness, ServerOptions options, CancellationToken ct) =>
        {
            var machine = await inventory.Objects.FindMachineAsync(id, ct) ?? throw new StoreNotFoundException($"machines/{id} does not exist");
            return Results.Json(BootCheck.Check(machine, inventory.Cache, readiness, options.Node));
        }).WithTags("machines").WithName("machine-boot-check").Produces<BootCheck.Result>().ProducesProblem(StatusCodes.Status404NotFound);
}
