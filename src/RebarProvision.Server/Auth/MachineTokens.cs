using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using RebarProvision.Model;
using RebarProvision.Server.Boot;

namespace RebarProvision.Server.Auth;

/// <summary>
/// Machine-scoped tokens: they let one machine read its own rendered files and post its own callback, nothing else.
/// A token is "expiry.signature" where the signature is HMAC-SHA256 with the server's token key over the machine
/// uuid, the machine's current boot secret (<see cref="BootSecrets"/>) and the expiry. Checking one needs no database
/// lookup; a token cannot be moved to another machine; and rotating the boot secret (every reimage, or
/// <c>POST machines/{id}/rotate-secret</c>) revokes every token issued before.
/// </summary>
public sealed class MachineTokens
{
    private readonly byte[] _key;
    private readonly BootSecrets _secrets;
    private readonly TimeProvider _time;

    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);

    public MachineTokens(byte[] key, BootSecrets secrets, TimeProvider time)
    {
        if (key.Length < 32)
        {
            throw new ArgumentException("the token key must be at least 32 bytes", nameof(key));
        }
        _key = key;
        _secrets = secrets;
        _time = time;
    }

    /// <summary>The token key kept in the data directory, made on first start.</summary>
    public static byte[] LoadOrCreateKey(string dataDir) => Secrets.KeyFile.LoadOrCreate(dataDir, "machine-token.key", 32);

    public string Issue(Machine machine)
    {
        var expiry = _time.GetUtcNow().Add(Lifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"{expiry}.{Sign(machine, expiry)}";
    }

    public bool IsValidFor(string? token, Machine machine)
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
        // Compared as numbers: an expiry beyond DateTimeOffset's range must be refused, not thrown on. No token we
        // issue outlives Lifetime, so one that claims to is not ours.
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        if (expiry < now || expiry > now + (long)Lifetime.TotalSeconds + 60)
        {
            return false;
        }
        var expected = Encoding.ASCII.GetBytes(Sign(machine, token[..dot]));
        var given = Encoding.ASCII.GetBytes(token[(dot + 1)..]);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    private string Sign(Machine machine, string expiry)
    {
        var mac = HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"machine:{machine.Uuid}:{_secrets.Open(machine)}:{expiry}"));
        return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
