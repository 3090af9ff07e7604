using RebarProvision.Model;
using RebarProvision.Server.Objects;
using RebarProvision.Server.Rollouts;
using RebarProvision.Store;

namespace RebarProvision.Server.Api;

/// <summary>
/// Rolling reimage: <c>POST machines/reimage</c> starts a rollout over a selector; <c>GET rollouts</c> and
/// <c>GET rollouts/{id}</c> (the generic document routes) watch it; <c>POST rollouts/{id}/stop</c> stops it;
/// <c>DELETE rollouts/{id}</c> forgets a finished one.
/// </summary>
public static class RolloutEndpoints
{
    public static void MapRolloutEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/machines/reimage", async (RolloutRequest body, RolloutPlanner planner, Inventory inventory, HttpContext http, CancellationToken ct) =>
        {
            var rollout = await planner.PlanAsync(body, Actor.Of(http), ct);
            var stored = await inventory.CreateAsync(rollout, Actor.Of(http), ct);
            return Results.Created($"/api/v1/rollouts/{stored.Key}", (Rollout)stored);
        }).WithTags("machines").Produces<Rollout>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);

        var rollouts = api.MapGroup("/rollouts/{id}").WithTags("rollouts");

        rollouts.MapPost("/stop", async (string id, RolloutRecords records, TimeProvider time, HttpContext http, CancellationToken ct) =>
        {
            var actor = Actor.Of(http);
            var stopped = await records.ChangeAsync(id, rollout => RolloutProgress.Stop(rollout, actor, time.GetUtcNow())
                ? true
                : throw new StoreConflictException($"rollout {id} is {rollout.State.ToString().ToLowerInvariant()}, not running"), actor, ct);
            return Results.Json(stopped, ModelJson.Options);
        }).Produces<Rollout>().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        rollouts.MapDelete("/", async (string id, RolloutRecords records, Inventory inventory, HttpContext http, CancellationToken ct) =>
        {
            var rollout = await records.GetAsync(id, ct) ?? throw new StoreNotFoundException($"rollouts/{id} does not exist");
            if (RolloutProgress.IsActive(rollout))
            {
                throw new StoreConflictException($"rollout {id} is still running or following machines it started; stop it and wait for them first");
            }
            return Results.Json(await inventory.DeleteAsync(ObjectKind.Rollouts, id, rollout.Revision, Actor.Of(http), ct), ModelJson.Options);
        }).Produces<Rollout>().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
    }
}
