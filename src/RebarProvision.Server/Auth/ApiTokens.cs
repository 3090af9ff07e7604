using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using RebarProvision.Model;
using RebarProvision.Server.Boot;
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
    private readonly BootSecrets _bootSecrets;

    public ApiTokens(ObjectCache cache, BootSecrets bootSecrets, TimeProvider time)
    {
        _cache = cache;
        _bootSecrets = bootSecrets;
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

    /// <summary>
    /// The principal of a valid, unexpired token; null for anything else. <paramref name="refusal"/> says why a token
    /// whose secret is right is no longer good (only its holder can see that), and is null for a token that is not ours.
    /// </summary>
    public ClaimsPrincipal? Authenticate(string bearer, out string? refusal)
    {
        refusal = null;
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
        refusal = Refusal(token);
        if (refusal is not null)
        {
            return null;
        }
        var role = token.Role;
        if (token.User is not null && _cache.Get<User>(token.User) is { } user && role != Role.Machine && RoleRank.Of(user.Role) < RoleRank.Of(role))
        {
            // A token never outranks its user's current role.
            role = user.Role;
        }
        return RebarClaims.Principal($"token:{token.Id}", role, role == Role.Machine ? token.Machine : null);
    }

    /// <summary>Why a token with the right secret is refused, in words for its holder; null when it is good.</summary>
    private string? Refusal(ApiToken token)
    {
        if (token.ExpiresAt is { } expiry && expiry <= _time.GetUtcNow())
        {
            return $"token {token.Id} expired at {expiry:O}";
        }
        if (token.User is not null)
        {
            // A token dies with the user it was made for.
            if (_cache.Get<User>(token.User) is not { } user)
            {
                return $"token {token.Id} belonged to user {token.User}, who no longer exists";
            }
            // Tokens made before stamps existed have none; every newer one dies with the password it was made under.
            if (token.PasswordStamp is { } stamp && !SameStamp(stamp, PasswordStampOf(user)))
            {
                return $"token {token.Id} was made before user {user.Name}'s password changed; mint a new one";
            }
        }
        if (token.Role == Role.Machine)
        {
            // Bound to the boot secret it was minted under: the OS a machine token was handed to must not keep it
            // once the machine is reimaged (or deleted and discovered again). Unlike password stamps, a machine
            // token without one is refused: nothing tells which install it was handed to.
            if (token.Machine is null || _cache.Get<Machine>(token.Machine) is not { } machine)
            {
                return $"token {token.Id} was made for machine {token.Machine}, which no longer exists";
            }
            if (token.MachineStamp is not { } stamp || _bootSecrets.StampOf(machine) is not { } current || !SameStamp(stamp, current))
            {
                return $"token {token.Id} was made for an earlier install of machine {machine.Name}: its boot secret has changed since (reimage or rotate-secret); mint a new one";
            }
        }
        return null;
    }

    private static bool SameStamp(string stamp, string current) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(stamp), Encoding.ASCII.GetBytes(current));
}
