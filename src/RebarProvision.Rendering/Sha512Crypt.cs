using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace RebarProvision.Rendering;

/// <summary>
/// SHA-crypt with SHA-512 (<c>$6$</c>), as glibc's crypt(3) and installers' password fields expect it, following
/// Ulrich Drepper's "Unix crypt using SHA-256 and SHA-512" specification step by step.
/// </summary>
public static class Sha512Crypt
{
    private const string Alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private const int DefaultRounds = 5000;
    private const int MaxSaltLength = 16;

    // The spec's permutation of the 64 digest bytes into 22 groups of three (the last one byte) for base-64 output.
    private static readonly int[] Order =
    [
        0, 21, 42, 22, 43, 1, 44, 2, 23, 3, 24, 45, 25, 46, 4, 47, 5, 26, 6, 27, 48, 28, 49, 7, 50, 8, 29, 9, 30, 51,
        31, 52, 10, 53, 11, 32, 12, 33, 54, 34, 55, 13, 56, 14, 35, 15, 36, 57, 37, 58, 16, 59, 17, 38, 18, 39, 60,
        40, 61, 19, 62, 20, 41,
    ];

    /// <summary>Hashes with a fresh random 16-character salt.</summary>
    public static string Hash(string password) => Hash(password, NewSalt());

    /// <param name="password">The password.</param>
    /// <param name="salt">Up to 16 characters (longer is cut, as the spec says), optionally preceded by <c>rounds=N$</c>.</param>
    public static string Hash(string password, string salt)
    {
        var (rounds, customRounds, saltText) = ParseSalt(salt);
        salt = saltText;

        var p = Encoding.UTF8.GetBytes(password);
        var s = Encoding.UTF8.GetBytes(salt);

        // Steps 4-8: digest B = SHA512(P S P).
        var b = SHA512.HashData([.. p, .. s, .. p]);

        // Steps 1-3, 9-12: digest A.
        using var a = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        a.AppendData(p);
        a.AppendData(s);
        AppendRepeated(a, b, p.Length);
        for (var length = p.Length; length > 0; length >>= 1)
        {
            a.AppendData((length & 1) != 0 ? b : p);
        }
        var result = a.GetHashAndReset();

        // Steps 13-16: P' from digest DP = SHA512(P repeated |P| times).
        for (var i = 0; i < p.Length; i++)
        {
            a.AppendData(p);
        }
        var pBytes = Repeat(a.GetHashAndReset(), p.Length);

        // Steps 17-20: S' from digest DS = SHA512(S repeated 16 + A[0] times).
        for (var i = 0; i < 16 + result[0]; i++)
        {
            a.AppendData(s);
        }
        var sBytes = Repeat(a.GetHashAndReset(), s.Length);

        // Step 21: the rounds.
        for (var round = 0; round < rounds; round++)
        {
            a.AppendData((round & 1) != 0 ? pBytes : result);
            if (round % 3 != 0)
            {
                a.AppendData(sBytes);
            }
            if (round % 7 != 0)
            {
                a.AppendData(pBytes);
            }
            a.AppendData((round & 1) != 0 ? result : pBytes);
            result = a.GetHashAndReset();
        }

        // Step 22: $6$[rounds=N$]salt$ then the digest in the spec's base-64.
        var text = new StringBuilder("$6$", 106);
        if (customRounds)
        {
            text.Append(CultureInfo.InvariantCulture, $"rounds={rounds}$");
        }
        text.Append(salt).Append('$');
        for (var i = 0; i < Order.Length; i += 3)
        {
            Encode(text, (result[Order[i]] << 16) | (result[Order[i + 1]] << 8) | result[Order[i + 2]], 4);
        }
        Encode(text, result[63], 2);
        return text.ToString();
    }

    /// <summary>The rounds a salt asks for, as <see cref="Hash(string, string)"/> would run them.</summary>
    public static int RoundsOf(string salt) => ParseSalt(salt).Rounds;

    private static (int Rounds, bool Custom, string Salt) ParseSalt(string salt)
    {
        var rounds = DefaultRounds;
        var customRounds = false;
        if (salt.StartsWith("$6$", StringComparison.Ordinal))
        {
            salt = salt[3..];
        }
        if (salt.StartsWith("rounds=", StringComparison.Ordinal))
        {
            var end = salt.IndexOf('$', StringComparison.Ordinal);
            if (end > 7 && long.TryParse(salt.AsSpan(7, end - 7), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                rounds = (int)Math.Clamp(n, 1000, 999_999_999);
                customRounds = true;
                salt = salt[(end + 1)..];
            }
        }
        var dollar = salt.IndexOf('$', StringComparison.Ordinal);
        if (dollar >= 0)
        {
            salt = salt[..dollar];
        }
        if (salt.Length > MaxSaltLength)
        {
            salt = salt[..MaxSaltLength];
        }
        return (rounds, customRounds, salt);
    }

    private static string NewSalt()
    {
        Span<char> salt = stackalloc char[MaxSaltLength];
        for (var i = 0; i < salt.Length; i++)
        {
            salt[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }
        return new string(salt);
    }

    private static void AppendRepeated(IncrementalHash hash, byte[] block, int length)
    {
        for (; length > block.Length; length -= block.Length)
        {
            hash.AppendData(block);
        }
        hash.AppendData(block, 0, length);
    }

    private static byte[] Repeat(byte[] block, int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = block[i % block.Length];
        }
        return bytes;
    }

    private static void Encode(StringBuilder text, int value, int chars)
    {
        for (var i = 0; i < chars; i++)
        {
            text.Append(Alphabet[value & 0x3f]);
            value >>= 6;
        }
    }
}
