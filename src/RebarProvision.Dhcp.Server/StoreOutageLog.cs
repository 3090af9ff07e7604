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
    private readonly ReportThrottle _throttle = new(time, TimeSpan.FromSeconds(1));

    public void Record(StoreUnavailableException e)
    {
        if (_throttle.Record(out var count))
        {
            logger.LogWarning("DHCP: the store is unavailable ({Reason}); {Count} requests unanswered since the last report", e.Message, count);
        }
    }
}
