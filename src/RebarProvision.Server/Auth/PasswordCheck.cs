using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text;
using RebarProvision.Model;

namespace RebarProvision.Server.Auth;

/// <summary>
/// Checks a user's password. A slow KDF on every Basic-authenticated request would cost ~100 ms of CPU each, so a
/// successful check is remembered for a few minutes under an HMAC (with a key that lives only in this process) of
/// the user, the password and the stored hash: changing the password or the hash forgets it at once. A name that
/// is no user (or a user without a usable hash) costs the same key derivation as a wrong password, so the time of
/// an answer does not tell which names exist. Every derivation a check costs is counted
/// (<c>rebar_password_derivations_total</c>), decoys included.
/// </summary>
public sealed class PasswordCheck
{
    private static readonly TimeSpan Remember = TimeSpan.FromMinutes(5);
    private const int MaxRemembered = 10_000;

    private readonly byte[] _processKey = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _recent = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly Meter _meter;
    private readonly Counter<long> _derivations;

    /// <param name="meters">The host's meter factory: it owns the "RebarProvision.Auth" meter, which /metrics exports.</param>
    public PasswordCheck(TimeProvider time, IMeterFactory meters)
    {
        _time = time;
        _meter = meters.Create("RebarProvision.Auth");
        _derivations = _meter.CreateCounter<long>(
            "rebar_password_derivations", description: "PBKDF2 derivations of password checks, for real users and decoys alike");
    }

    /// <summary>True when the password is right and was checked within the last few minutes (costs no derivation).</summary>
    public bool IsRemembered(User? user, string password) =>
        user is not null && !string.IsNullOrEmpty(user.PasswordHash)
        && _recent.TryGetValue(RememberKey(user, password), out var until) && until > _time.GetUtcNow();

    public bool Verify([NotNullWhen(true)] User? user, string password)
    {
        if (user is null || !PasswordHasher.IsWellFormed(user.PasswordHash))
        {
            _derivations.Add(1);
            PasswordHasher.VerifyDecoy(password);
            return false;
        }
        if (IsRemembered(user, password))
        {
            return true;
        }
        _derivations.Add(1);
        if (!PasswordHasher.Verify(password, user.PasswordHash))
        {
            return false;
        }
        if (_recent.Count >= MaxRemembered)
        {
            _recent.Clear();
        }
        _recent[RememberKey(user, password)] = _time.GetUtcNow() + Remember;
        return true;
    }

    private string RememberKey(User user, string password) =>
        Convert.ToHexString(HMACSHA256.HashData(_processKey, Encoding.UTF8.GetBytes($"{user.Name}\0{password}\0{user.PasswordHash}")));
}
