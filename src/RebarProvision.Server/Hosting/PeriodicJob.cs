namespace RebarProvision.Server.Hosting;

/// <summary>
/// Singleton work that runs now and then every <see cref="Interval"/>: each job is one class with one
/// <see cref="RunOnceAsync"/>, so with several nodes a Postgres advisory lock can wrap exactly that call
/// (DESIGN §6: singleton work runs on the node holding the lock). A failed run is logged and retried next tick.
/// </summary>
public abstract class PeriodicJob : BackgroundService
{
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    protected PeriodicJob(TimeProvider time, ILogger logger)
    {
        _time = time;
        _logger = logger;
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
