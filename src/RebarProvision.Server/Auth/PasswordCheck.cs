using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using RebarProvision.Model;

namespace RebarProvision.Server.Auth;

/// <summary>
/// Checks a user's password. A slow KDF on every Basic-authenticated request would cost ~100 ms of CPU each, so a
/// successful check is remembered for a few minutes under an HMAC (with a key that lives only in this process) of
/// the user, the password and the stored hash: changing the password or the hash forgets it at once.
/// </summary>
public sealed class PasswordCheck
{
    private static readonly TimeSpan Remember = TimeSpan.FromMinutes(5);
    private const int MaxRemembered = 10_000;

    private readonly byte[] _processKey = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _recent = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public PasswordCheck(TimeProvider time) => _time = time;

    public bool Verify(User user, string password)
    {
        if (string.IsNullOrEmpty(user.PasswordHash))
        {
            return false;
        }
        var now = _time.GetUtcNow();
        var key = Convert.ToHexString(HMACSHA256.HashData(_processKey, Encoding.UTF8.GetBytes($"{user.Name}\0{password}\0{user.PasswordHash}")));
        if (_recent.TryGetValue(key, out var until) && until > now)
        {
            return true;
        }
        if (!PasswordHasher.Verify(password, user.PasswordHash))
        {
            return false;
        }
        if (_recent.Count >= MaxRemembered)
        {
            _recent.Clear();
        }
        _recent[key] = now + Remember;
        return true;
    }
}
