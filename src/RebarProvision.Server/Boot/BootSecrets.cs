using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using RebarProvision.Model;
using RebarProvision.Server.Secrets;

namespace RebarProvision.Server.Boot;

/// <summary>
/// A machine's per-boot secret (<see cref="Machine.BootSecret"/>): 128 random bits, written as 32 hex digits so every
/// boot loader, kernel command line and shell passes it through untouched. Stored sealed with the params key under
/// the machine's uuid, so it is redacted wherever secure values are, survives restarts, reaches every HA node with the
/// machine, and a sealed secret copied onto another machine does not open.
/// </summary>
public sealed class BootSecrets
{
    private const int SecretBytes = 16;

    private readonly SecureParams _sealer;

    // Every boot file request opens the secret (AES-GCM and a JSON parse); the cached machine keeps one sealed node
    // per revision, so its plain text is remembered with that node and goes when the node does.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<JsonNode, Opened> _opened = new();

    private sealed record Opened(string Uuid, string Plain, string Stamp);

    public BootSecrets(SecureParams sealer)
    {
        _sealer = sealer;
    }

    /// <summary>A fresh secret for the machine with <paramref name="uuid"/>, sealed for storage.</summary>
    public JsonObject NewSealed(string uuid) =>
        _sealer.Seal(SealName(uuid), JsonValue.Create(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(SecretBytes))));

    /// <summary>The machine's secret in plain text; null when it has none, or it does not open (altered, moved, another key).</summary>
    public string? Open(Machine machine) => Opening(machine)?.Plain;

    /// <summary>
    /// What a machine's API tokens are bound to (<see cref="ApiToken.MachineStamp"/>): it changes whenever the boot
    /// secret does, and is the same on every node and after every restart, because it is derived from the plain secret
    /// (which every node holding the params key opens) rather than from its sealing, which differs per seal. An HMAC
    /// keyed with the secret, so the stamp tells nothing about the secret; null when the secret does not open.
    /// </summary>
    public string? StampOf(Machine machine) => Opening(machine)?.Stamp;

    private Opened? Opening(Machine machine)
    {
        if (machine.BootSecret is not { } sealedSecret)
        {
            return null;
        }
        if (_opened.TryGetValue(sealedSecret, out var known) && known.Uuid == machine.Uuid)
        {
            return known;
        }
        try
        {
            if (_sealer.Reveal(SealName(machine.Uuid), sealedSecret) is not JsonValue v || !v.TryGetValue<string>(out var plain))
            {
                return null;
            }
            var stamp = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.ASCII.GetBytes(plain), Encoding.UTF8.GetBytes($"api-token-stamp:{machine.Uuid}")).AsSpan(0, 16));
            var opened = new Opened(machine.Uuid, plain, stamp);
            _opened.AddOrUpdate(sealedSecret, opened);
            return opened;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>Whether <paramref name="given"/> is this machine's current secret (compared in fixed time).</summary>
    public bool Matches(Machine machine, string given)
    {
        var secret = Open(machine);
        return secret is not null
            && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(secret), Encoding.ASCII.GetBytes(given));
    }

    private static string SealName(string uuid) => $"machine:{uuid}:boot-secret";
}
