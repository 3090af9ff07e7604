using RebarProvision.Store.Postgres;

namespace RebarProvision.Server.Cluster;

/// <summary>
/// Decides whether this node runs the cluster's singleton work (lease expiry sweeps, event pruning, stuck-machine
/// timeouts): the holder of a PostgreSQL advisory lock does. Every node asks for the lock once a second; when the
/// holder dies its session ends, PostgreSQL frees the lock, and the next node to ask takes over. On the embedded
/// store this node is the only one and always holds it.
/// </summary>
public sealed class SingletonWork(PostgresAdvisoryLock? advisoryLock, ILogger<SingletonWork> logger) : BackgroundService
{
    public bool IsHolder => advisoryLock?.IsHeld ?? true;

    /// <summary>The backend pid of the session the lock is asked on; the heartbeat publishes it (see PostgresNodeTable).</summary>
    public int? SessionPid => advisoryLock?.SessionPid;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (advisoryLock is null)
        {
            return;
        }
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var held = advisoryLock.IsHeld;
                if (await advisoryLock.TryHoldAsync(stoppingToken) != held)
                {
                    logger.LogInformation("This node {Change} the singleton work (expiry sweeps, event pruning, stuck-machine timeouts)", held ? "no longer runs" : "now runs");
                }
                await Task.Delay(LiveNodes.HeartbeatInterval, stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            await advisoryLock.DisposeAsync();
        }
    }
}
