using Microsoft.Extensions.Logging;
using RebarProvision.Store;

namespace RebarProvision.Dhcp.Server;

/// <summary>
/// Requests left unanswered because the store is away, reported at most once a second with how many: during an
/// outage every datagram meets the same open circuit, and a warning (let alone a stack trace) per datagram would
/// bury the log at thousands a second. DESIGN §7: new allocations are refused rather than risk a duplicate.
/// </summary>
internal sealed class StoreOutageLog(ILogger logger, TimeProvider time)
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private long _unreported;
    private long _nextReport;

    public void Record(StoreUnavailableException e)
    {
        Interlocked.Increment(ref _unreported);
        var now = time.GetTimestamp();
        var due = Interlocked.Read(ref _nextReport);
        if (now < due || Interlocked.CompareExchange(ref _nextReport, now + (long)(Interval.TotalSeconds * time.TimestampFrequency), due) != due)
        {
            return;
        }
        var count = Interlocked.Exchange(ref _unreported, 0);
        logger.LogWarning("DHCP: the store is unavailable ({Reason}); {Count} requests unanswered since the last report", e.Message, count);
    }
}
