namespace RebarProvision.Store;

/// <summary>
/// Timestamps as both stores keep them: UTC, to the microsecond (PostgreSQL's timestamptz resolution), so a value
/// reads back equal from either store.
/// </summary>
internal static class StoreTime
{
    public static DateTimeOffset Truncate(DateTimeOffset value)
    {
        var ticks = value.UtcTicks;
        return new DateTimeOffset(ticks - (ticks % 10), TimeSpan.Zero);
    }

    public static long ToMicroseconds(DateTimeOffset value) => (value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    public static DateTimeOffset FromMicroseconds(long value) => new(DateTimeOffset.UnixEpoch.UtcTicks + (value * 10), TimeSpan.Zero);
}
