using System.Text.Json.Nodes;

namespace RebarProvision.Server.Rollouts;

/// <summary>
/// <c>POST /api/v1/machines/reimage</c>: reimage the machines the selector picks, at most
/// <paramref name="MaxUnavailable"/> (default 1) at a time.
/// </summary>
/// <param name="Selector"><c>profile</c>, <c>bootEnv</c> and/or <c>names</c>; all given must match.</param>
/// <param name="OnFailure"><c>stop</c> (default: no further machine starts) or <c>continue</c>.</param>
/// <param name="MachineTimeoutSeconds">A machine not installed this long after its reimage counts as failed (default: the server's provision timeout).</param>
/// <param name="Power">Power-cycle each machine through its BMC when its turn comes.</param>
public sealed record RolloutRequest(
    JsonObject? Selector,
    string? BootEnv,
    List<string>? Profiles,
    int? MaxUnavailable,
    string? OnFailure,
    int? MachineTimeoutSeconds,
    bool? Power);
