namespace RebarProvision.Store;

/// <summary>
/// One node of a cluster as its heartbeat row says: where to reach it, what it runs, when the database last heard
/// from it, and whether it holds the singleton work (expiry sweeps, event pruning, stuck-machine timeouts).
/// </summary>
/// <param name="Live">Heard from within the dead-after window, judged by the database's clock.</param>
public sealed record ClusterNode(
    string Name,
    string ApiUrl,
    string BootUrl,
    IReadOnlyList<string> Addresses,
    string Version,
    DateTimeOffset StartedAt,
    DateTimeOffset LastSeen,
    bool Singleton,
    bool Live);
