using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace RebarProvision.Server.Auth;

/// <summary>
/// Machine-scoped tokens: they let one machine read its own rendered files and post its own callback, nothing else.
/// A token is "expiry.signature" where the signature is HMAC-SHA256 over the machine uuid and expiry with the
/// server's token key, so checking one needs no database lookup and a token cannot be moved to another machine.
/// </summary>
public sealed class MachineTokens
{
    private readonly byte[] _key;
    private readonly TimeProvider _time;

    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);

    public MachineTokens(byte[] key, TimeProvider time)
    {
        if (key.Length < 32)
        {
            throw new ArgumentException("the token key must be at least 32 bytes", nameof(key));
        }
        _key = key;
        _time = time;
    }

    /// <summary>The token key kept in the data directory, made on first start.</summary>
    public static byte[] LoadOrCreateKey(string dataDir) => Secrets.KeyFile.LoadOrCreate(dataDir, "machine-token.key", 32);

    public string Issue(string machineUuid)
    {
        var expiry = _time.GetUtcNow().Add(Lifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"{expiry}.{Sign(machineUuid, expiry)}";
    }

    public bool IsValidFor(string? token, string machineUuid)
    {
        if (string.IsNullOrEmpty(token))
        {
            return false;
        }
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || !long.TryParse(token.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var expiry))
        {
            return false;
        }
        if (DateTimeOffset.FromUnixTimeSeconds(expiry) < _time.GetUtcNow())
        {
            return false;
        }
        var expected = Encoding.ASCII.GetBytes(Sign(machineUuid, token[..dot]));
        var given = Encoding.ASCII.GetBytes(token[(dot + 1)..]);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    private string Sign(string machineUuid, string expiry)
    {
        var mac = HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"machine:{machineUuid}:{expiry}"));
        return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
