using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace RebarProvision.Server.Auth;

/// <summary>
/// Local users' passwords as PBKDF2-HMAC-SHA256 hashes, stored as <c>pbkdf2-sha256$iterations$salt$hash</c> (salt and
/// hash base64). 210,000 iterations is OWASP's 2023 floor for PBKDF2-SHA256; the count is kept in the hash so it
/// can be raised without invalidating stored passwords. <see cref="PasswordCheck"/> counts the derivations logins cost.
/// </summary>
public static class PasswordHasher
{
    public const int Iterations = 210_000;

    private const string Scheme = "pbkdf2-sha256";
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    /// <summary>
    /// Checked in place of a user that does not exist: a well-formed hash of the same cost whose digest is random, so
    /// no password matches it.
    /// </summary>
    private static readonly string Decoy = string.Join('$', Scheme, Iterations.ToString(CultureInfo.InvariantCulture),
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(SaltBytes)), Convert.ToBase64String(RandomNumberGenerator.GetBytes(HashBytes)));

    public static string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Derive(password, salt, Iterations, HashBytes);
        return string.Join('$', Scheme, Iterations.ToString(CultureInfo.InvariantCulture), Convert.ToBase64String(salt), Convert.ToBase64String(hash));
    }

    /// <summary>True when the password matches; a malformed stored hash matches nothing.</summary>
    public static bool Verify(string password, string? stored)
    {
        if (!TryParse(stored, out var iterations, out var salt, out var expected))
        {
            return false;
        }
        var actual = Derive(password, salt, iterations, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>Does the work of <see cref="Verify"/> against a hash no password matches: the answer for a name that is no user.</summary>
    public static void VerifyDecoy(string password) => Verify(password, Decoy);

    public static bool IsWellFormed(string? stored) => TryParse(stored, out _, out _, out _);

    private static bool TryParse(string? stored, out int iterations, out byte[] salt, out byte[] hash)
    {
        (iterations, salt, hash) = (0, [], []);
        var parts = stored?.Split('$');
        if (parts is not [Scheme, var iterationText, var saltText, var hashText]
            || !int.TryParse(iterationText, NumberStyles.None, CultureInfo.InvariantCulture, out iterations)
            || iterations is < 1 or > 10_000_000)
        {
            return false;
        }
        try
        {
            salt = Convert.FromBase64String(saltText);
            hash = Convert.FromBase64String(hashText);
        }
        catch (FormatException)
        {
            return false;
        }
        return hash.Length > 0;
    }

    private static byte[] Derive(string password, byte[] salt, int iterations, int length) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, length);
}
