using System.Threading.RateLimiting;

namespace RebarProvision.Server.Auth;

/// <summary>
/// Slows password guessing without handing an attacker the power to lock anyone else out.
/// <list type="bullet">
/// <item>Per (user name, client address): <see cref="FreeFailures"/> failed logins, then one more every
/// <see cref="Replenishment"/>. Refused attempts are not checked at all. Keyed by the pair, so failures for
/// <c>admin</c> from one address leave <c>admin</c> free to log in from every other.</item>
/// <item>Over everything: at most <see cref="CeilingBurst"/> failed logins at once and <see cref="CeilingPerSecond"/>
/// a second after that, so guessing spread over many names and addresses is bounded in rate and in the CPU its
/// key derivations cost. Credentials the server already knows to be right (<see cref="PasswordCheck.IsRemembered"/>)
/// pass the ceiling, so people at work stay logged in while it is reached; they still count against their pair.</item>
/// </list>
/// Successful logins consume nothing. The limiters are System.Threading.RateLimiting token buckets; a pair's bucket
/// is dropped once it has been full for a while, so memory follows the rate of failures the ceiling allows.
/// </summary>
public sealed class LoginThrottle : IDisposable
{
    public const int FreeFailures = 5;

    public static readonly TimeSpan Replenishment = TimeSpan.FromSeconds(10);

    public const int CeilingBurst = 50;

    public const int CeilingPerSecond = 5;

    private readonly PartitionedRateLimiter<string> _pairs = PartitionedRateLimiter.Create<string, string>(key =>
        RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = FreeFailures,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = Replenishment,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    private readonly TokenBucketRateLimiter _ceiling = new(new TokenBucketRateLimiterOptions
    {
        TokenLimit = CeilingBurst,
        TokensPerPeriod = CeilingPerSecond,
        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    });

    /// <summary>How long the client must wait before a login as <paramref name="user"/> is checked, or zero.</summary>
    /// <param name="client">The client's address.</param>
    /// <param name="user">The user name it sent.</param>
    /// <param name="knownGood">The credentials are right and were checked recently (they pass the global ceiling).</param>
    public TimeSpan RetryAfter(string client, string user, bool knownGood)
    {
        // Looking must not take a token. A lease for zero permits would do, but partitioned buckets refill in
        // fractions (the heartbeat adds a tenth of a token per 100 ms), and it succeeds on any fraction above zero:
        // after five failures the sixth guess would be checked a moment later. A whole token is what a failure takes.
        if (_pairs.GetStatistics(PairKey(client, user))?.CurrentAvailablePermits < 1)
        {
            return Replenishment;
        }
        if (knownGood)
        {
            return TimeSpan.Zero;
        }
        return _ceiling.GetStatistics()?.CurrentAvailablePermits < 1 ? TimeSpan.FromSeconds(1) : TimeSpan.Zero;
    }

    public void Failed(string client, string user)
    {
        _pairs.AttemptAcquire(PairKey(client, user)).Dispose();
        _ceiling.AttemptAcquire().Dispose();
    }

    public void Dispose()
    {
        _pairs.Dispose();
        _ceiling.Dispose();
    }

    private static string PairKey(string client, string user) => user.ToLowerInvariant() + "\0" + client;
}
