namespace RebarProvision.Dhcp.Server;

/// <summary>
/// Lets one report through per interval and counts the occurrences in between, for events a flood repeats thousands
/// of times a second: a log line per datagram would bury the log and cost more than the answer.
/// </summary>
internal sealed class ReportThrottle(TimeProvider time, TimeSpan interval)
{
    private long _unreported;
    private long _nextReport;

    /// <summary>Counts one occurrence; true with the count since the last report when a report is due.</summary>
    public bool Record(out long count)
    {
        Interlocked.Increment(ref _unreported);
        count = 0;
        var now = time.GetTimestamp();
        var due = Interlocked.Read(ref _nextReport);
        if (now < due || Interlocked.CompareExchange(ref _nextReport, now + (long)(interval.TotalSeconds * time.TimestampFrequency), due) != due)
        {
            return false;
        }
        count = Interlocked.Exchange(ref _unreported, 0);
        return true;
    }
}
