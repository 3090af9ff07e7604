namespace RebarProvision.Dhcp;

/// <summary>
/// A token bucket: <see cref="RatePerSecond"/> tokens refill per second up to <see cref="Burst"/>. Not thread-safe
/// by itself; the caller holds a lock. The clock is the caller's, so tests control it.
/// </summary>
public sealed class TokenBucket(double ratePerSecond, double burst)
{
    private double _tokens = burst;
    private DateTimeOffset _last = DateTimeOffset.MinValue;

    public double RatePerSecond { get; } = ratePerSecond;

    public double Burst { get; } = burst;

    public bool TryTake(DateTimeOffset now)
    {
        if (_last != DateTimeOffset.MinValue && now > _last)
        {
            _tokens = Math.Min(Burst, _tokens + ((now - _last).TotalSeconds * RatePerSecond));
        }
        _last = now;
        if (_tokens < 1)
        {
            return false;
        }
        _tokens -= 1;
        return true;
    }
}
