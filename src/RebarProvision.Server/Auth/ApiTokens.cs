using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using RebarProvision.Model;
using RebarProvision.Server.Objects;

namespace RebarProvision.Server.Auth;

/// <summary>
/// API bearer tokens, written <c>&lt;id&gt;.&lt;secret&gt;</c>. The secret is 32 random bytes, so a plain SHA-256 of it
/// (no slow KDF) is safe to store: nobody can guess a preimage of 256 random bits. Checking one is a cache lookup.
/// </summary>
public sealed class ApiTokens
{
    private readonly ObjectCache _cache;
    private readonly TimeProvider _time;

    public ApiTokens(ObjectCache cache, TimeProvider time)
    {
        _cache = cache;
        _time = time;
    }

    /// <summary>A fresh secret and the hash to store for it.</summary>
    public static (string Secret, string Hash) NewSecret()
    {
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return (secret, HashOf(secret));
    }

    /// <summary>What <see cref="ApiToken.PasswordStamp"/> holds for a user: it changes whenever the password does.</summary>
    public static string PasswordStampOf(User user) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("password-stamp:" + (user.PasswordHash ?? ""))).AsSpan(0, 16));

    public static string HashOf(string secret) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>The principal of a valid, unexpired token; null for anything else.</summary>
    public ClaimsPrincipal? Authenticate(string bearer)
    {
        var dot = bearer.LastIndexOf('.');
        if (dot <= 0 || _cache.Get<ApiToken>(bearer[..dot]) is not { SecretHash: { } stored } token)
        {
            return null;
        }
        var given = Encoding.ASCII.GetBytes(HashOf(bearer[(dot + 1)..]));
        if (!CryptographicOperations.FixedTimeEquals(given, Encoding.ASCII.GetBytes(stored)))
        {
            return null;
        }
        if (token.ExpiresAt is { } expiry && expiry <= _time.GetUtcNow())
        {
            return null;
        }
        var role = token.Role;
        if (token.User is not null)
        {
            // A token dies with the user it was made for, and never outranks that user's current role.
            if (_cache.Get<User>(token.User) is not { } user)
            {
                return null;
            }
            // Tokens made before stamps existed have none; every newer one dies with the password it was made under.
            if (token.PasswordStamp is { } stamp && !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(stamp), Encoding.ASCII.GetBytes(PasswordStampOf(user))))
            {
                return null;
            }
            if (role != Role.Machine && RoleRank.Of(user.Role) < RoleRank.Of(role))
            {
                role = user.Role;
            }
        }
        return RebarClaims.Principal($"token:{token.Id}", role, role == Role.Machine ? token.Machine : null);
    }
}
