using RebarProvision.Server.Cluster;

namespace RebarProvision.Server.Hosting;

/// <summary>
/// Singleton work that runs now and then every <see cref="Interval"/>: each job is one class with one
/// <see cref="RunOnceAsync"/>, and with several nodes only the holder of the cluster's advisory lock runs it
/// (DESIGN §7, <see cref="SingletonWork"/>); the others skip their ticks until they take the lock over. A failed
/// run is logged and retried next tick.
/// </summary>
public abstract class PeriodicJob : BackgroundService
{
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SingletonWork _singleton;

    protected PeriodicJob(TimeProvider time, ILogger logger, SingletonWork singleton)
    {
        _time = time;
        _logger = logger;
        _singleton = singleton;
    }

    public abstract TimeSpan Interval { get; }

    /// <summary>One pass of the job; returns how many things it changed, for the log.</summary>
    public abstract Task<int> RunOnceAsync(CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, _time);
        try
        {
            do
            {
                if (!_singleton.IsHolder)
                {
                    continue;
                }
                try
                {
                    var changed = await RunOnceAsync(stoppingToken);
                    if (changed > 0)
                    {
                        _logger.LogDebug("{Job}: {Count} changed", GetType().Name, changed);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _logger.LogWarning(e, "{Job} failed; retrying in {Interval}", GetType().Name, Interval);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
        }
    }
}
