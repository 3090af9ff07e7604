using System.Collections.Concurrent;

namespace RebarProvision.Server.Auth;

/// <summary>
/// Slows password guessing: after <see cref="FreeFailures"/> failed logins from one client address or for one user
/// name, further attempts are refused unchecked for a lock-out that doubles with every further failure, from one
/// second up to <see cref="MaxLockout"/>. Failures are forgotten after <see cref="Memory"/> without one. A successful
/// login is never delayed and clears its user's count (the address's count stays, so one good account does not
/// reset an address that guesses others).
/// </summary>
public sealed class LoginThrottle
{
    public const int FreeFailures = 5;

    public static readonly TimeSpan MaxLockout = TimeSpan.FromMinutes(1);

    public static readonly TimeSpan Memory = TimeSpan.FromMinutes(15);

    /// <summary>Bounds memory under a flood of random user names or addresses.</summary>
    private const int MaxEntries = 50_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public LoginThrottle(TimeProvider time) => _time = time;

    private sealed record Entry(int Failures, DateTimeOffset LastFailure, DateTimeOffset LockedUntil);

    /// <summary>How long the client must wait before its next attempt is checked, or zero.</summary>
    public TimeSpan RetryAfter(string client, string user)
    {
        var now = _time.GetUtcNow();
        var wait = TimeSpan.Zero;
        foreach (var key in Keys(client, user))
        {
            if (_entries.TryGetValue(key, out var entry) && entry.LockedUntil > now && entry.LockedUntil - now > wait)
            {
                wait = entry.LockedUntil - now;
            }
        }
        return wait;
    }

    public void Failed(string client, string user)
    {
        var now = _time.GetUtcNow();
        if (_entries.Count >= MaxEntries)
        {
            Prune(now);
        }
        foreach (var key in Keys(client, user))
        {
            _entries.AddOrUpdate(key,
                _ => Next(0, now),
                (_, entry) => Next(now - entry.LastFailure > Memory ? 0 : entry.Failures, now));
        }
    }

    public void Succeeded(string user) => _entries.TryRemove(UserKey(user), out _);

    private static Entry Next(int failures, DateTimeOffset now)
    {
        failures++;
        var lockout = TimeSpan.Zero;
        if (failures >= FreeFailures)
        {
            var seconds = Math.Pow(2, Math.Min(failures - FreeFailures, 10));
            lockout = TimeSpan.FromSeconds(Math.Min(seconds, MaxLockout.TotalSeconds));
        }
        return new Entry(failures, now, now + lockout);
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, entry) in _entries)
        {
            if (now - entry.LastFailure > Memory || entry.LockedUntil < now)
            {
                _entries.TryRemove(key, out _);
            }
        }
    }

    private static string[] Keys(string client, string user) => ["ip:" + client, UserKey(user)];

    private static string UserKey(string user) => "user:" + user.ToLowerInvariant();
}
