using System.Threading.RateLimiting;

namespace RebarProvision.Server.Boot;

/// <summary>
/// How often one machine may change itself through the boot port (callbacks and inventory posts that change
/// something): a burst of 10, then one a minute. Each change stores the machine and an event with its full snapshot
/// (an inventory can be 1 MiB), so a leaked or looping token must not turn into a full disk. Posts that change nothing
/// are not written at all and do not count.
/// </summary>
public sealed class MachineReportLimiter : IDisposable
{
    public const int Burst = 10;

    public static readonly TimeSpan Refill = TimeSpan.FromMinutes(1);

    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(uuid =>
        RateLimitPartition.GetTokenBucketLimiter(uuid, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = Burst,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = Refill,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    /// <summary>True when the machine may write one more change now.</summary>
    public bool TryAcquire(string uuid)
    {
        using var lease = _limiter.AttemptAcquire(uuid);
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter.Dispose();
}
