using RebarProvision.Store.Postgres;

namespace RebarProvision.Server.Cluster;

/// <summary>
/// Writes this node's row every <see cref="LiveNodes.HeartbeatInterval"/> and reads the table back into
/// <see cref="LiveNodes"/>. On the embedded store (no table) the cluster is this node alone, with the same shape.
/// </summary>
public sealed class NodeHeartbeat(
    PostgresNodeTable? table, SelfNode self, LiveNodes nodes, SingletonWork singleton, TimeProvider time, ILogger<NodeHeartbeat> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(LiveNodes.HeartbeatInterval, time);
        var failing = false;
        try
        {
            do
            {
                try
                {
                    await BeatAsync(stoppingToken);
                    if (failing)
                    {
                        logger.LogInformation("Node {Node} is back in the cluster", self.Name);
                        failing = false;
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    if (!failing)
                    {
                        logger.LogWarning("Node {Node} cannot write its heartbeat ({Message}); the others count it out after {DeadAfter}",
                            self.Name, e.Message, LiveNodes.DeadAfter);
                        failing = true;
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task BeatAsync(CancellationToken cancellationToken)
    {
        var row = self.Describe(singleton.IsHolder, time.GetUtcNow());
        if (table is null)
        {
            nodes.Update([row]);
            return;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // A beat later than the dead-after window is worthless: the others have counted this node out already.
        timeout.CancelAfter(LiveNodes.DeadAfter);
        await table.HeartbeatAsync(row, singleton.SessionPid, timeout.Token);
        nodes.Update(await table.ListAsync(LiveNodes.DeadAfter, timeout.Token));
    }
}
