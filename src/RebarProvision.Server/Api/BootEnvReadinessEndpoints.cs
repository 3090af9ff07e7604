using RebarProvision.Model;
using RebarProvision.Server.Images;
using RebarProvision.Server.Objects;

namespace RebarProvision.Server.Api;

/// <summary><c>GET /bootenvs/{name}/readiness</c>: which of the bootenv's kernel and initrds this node holds.</summary>
public static class BootEnvReadinessEndpoints
{
    public static void MapBootEnvReadinessEndpoints(this RouteGroupBuilder api) =>
        api.MapGet("/bootenvs/{name}/readiness", (string name, ObjectCache cache, BootEnvReadiness readiness) =>
            cache.Get<BootEnv>(name) is { } bootEnv
                ? Results.Json(readiness.Check(bootEnv))
                : Problems.NotFound($"bootenvs/{name} does not exist"))
            .WithTags("bootenvs").WithName("bootenv-readiness").Produces<BootEnvReadiness.Report>().ProducesProblem(StatusCodes.Status404NotFound);
}
