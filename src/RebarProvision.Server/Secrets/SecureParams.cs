using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using RebarProvision.Model;

namespace RebarProvision.Server.Secrets;

/// <summary>
/// Values of secure params at rest: AES-256-GCM under the key in <c>keys/params.key</c>, stored in place of the value
/// as <c>{"$secure":"v1:&lt;nonce&gt;:&lt;ciphertext&gt;:&lt;tag&gt;"}</c> (base64). The plaintext is the value's JSON text, so a
/// secure param may hold any JSON; the param's name is the associated data, so a sealed value copied to another
/// param does not open. Objects in the store and the cache hold sealed values; only the renderer (and whoever else
/// really needs a secret, e.g. power control) calls <see cref="Reveal"/>.
/// </summary>
public sealed class SecureParams
{
    public const string Marker = "$secure";

    /// <summary>What callers without the right to read secrets see instead of a secure value.</summary>
    public const string Redacted = "********";

    private const string Version = "v1";
    private const int NonceBytes = 12;
    private const int TagBytes = 16;

    private readonly byte[] _key;

    public SecureParams(byte[] key)
    {
        if (key.Length != 32)
        {
            throw new ArgumentException("the params key must be 32 bytes (AES-256)", nameof(key));
        }
        _key = key;
    }

    /// <summary>The key kept in the data directory (mode 0600), made on first start.</summary>
    public static byte[] LoadOrCreateKey(string dataDir) => KeyFile.LoadOrCreate(dataDir, "params.key", 32);

    public static bool IsSealed(JsonNode? value) =>
        value is JsonObject { Count: 1 } o && o.TryGetPropertyValue(Marker, out var inner) && inner is JsonValue v && v.TryGetValue<string>(out _);

    public JsonObject Seal(string name, JsonNode? value)
    {
        var plaintext = Encoding.UTF8.GetBytes(value?.ToJsonString() ?? "null");
        var nonce = RandomNumberGenerator.GetBytes(NonceBytes);
        var ciphertext = new byte[plaintext.Length];
        var tag = new byte[TagBytes];
        using (var aes = new AesGcm(_key, TagBytes))
        {
            aes.Encrypt(nonce, plaintext, ciphertext, tag, AssociatedData(name));
        }
        CryptographicOperations.ZeroMemory(plaintext);
        return new JsonObject
        {
            [Marker] = string.Join(':', Version, Convert.ToBase64String(nonce), Convert.ToBase64String(ciphertext), Convert.ToBase64String(tag)),
        };
    }

    /// <summary>The plain value of a sealed one; any other value is returned as it is.</summary>
    /// <exception cref="CryptographicException">The value was sealed with another key, for another param, or altered.</exception>
    public JsonNode? Reveal(string name, JsonNode? value)
    {
        if (!IsSealed(value))
        {
            return value;
        }
        var parts = value![Marker]!.GetValue<string>().Split(':');
        if (parts is not [Version, var nonceText, var cipherText, var tagText])
        {
            throw new CryptographicException($"param '{name}': unknown sealed value format");
        }
        byte[] nonce, ciphertext, tag;
        try
        {
            (nonce, ciphertext, tag) = (Convert.FromBase64String(nonceText), Convert.FromBase64String(cipherText), Convert.FromBase64String(tagText));
        }
        catch (FormatException)
        {
            throw new CryptographicException($"param '{name}': the sealed value is not base64");
        }
        var plaintext = new byte[ciphertext.Length];
        using (var aes = new AesGcm(_key, TagBytes))
        {
            aes.Decrypt(nonce, ciphertext, tag, plaintext, AssociatedData(name));
        }
        return JsonNode.Parse(plaintext);
    }

    public bool CanReveal(string name, JsonNode? value)
    {
        try
        {
            Reveal(name, value);
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Params with every sealed value opened: what templates see.</summary>
    public Dictionary<string, JsonNode?> RevealAll(IReadOnlyDictionary<string, JsonNode?> parameters)
    {
        var plain = new Dictionary<string, JsonNode?>(parameters.Count, StringComparer.Ordinal);
        foreach (var (name, value) in parameters)
        {
            plain[name] = Reveal(name, value);
        }
        return plain;
    }

    /// <summary>
    /// The params that are secret for a machine: those declared secure, and any whose resolved value is sealed (a
    /// param declared secure once keeps its sealed values if the declaration changes).
    /// </summary>
    public static HashSet<string> SecretNames(Machine machine, Func<string, Profile?> findProfile, IReadOnlyCollection<Param> declared)
    {
        var names = declared.Where(p => p.Secure).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, value) in ParamResolver.Resolve(machine, findProfile, declared))
        {
            if (IsSealed(value))
            {
                names.Add(name);
            }
        }
        return names;
    }

    /// <summary>
    /// Seals, in place, the values of params declared secure. A value already sealed is kept when it opens with our
    /// key; the redaction placeholder keeps the value the object had (so GET, edit, PUT does not wipe a secret).
    /// </summary>
    /// <returns>Names of params whose sealed value does not open with this server's key.</returns>
    public List<string> SealDeclared(Dictionary<string, JsonNode?> parameters, Func<string, bool> isSecure, IReadOnlyDictionary<string, JsonNode?>? previous)
    {
        var foreign = new List<string>();
        foreach (var name in parameters.Keys.ToList())
        {
            var value = parameters[name];
            if (IsSealed(value))
            {
                if (!CanReveal(name, value))
                {
                    foreign.Add(name);
                }
                continue;
            }
            if (IsPlaceholder(value) && previous is not null && previous.TryGetValue(name, out var kept) && IsSealed(kept))
            {
                parameters[name] = kept!.DeepClone();
                continue;
            }
            if (isSecure(name))
            {
                parameters[name] = Seal(name, value);
            }
        }
        return foreign;
    }

    /// <summary>
    /// Seals, in place, the schema default of a param declared secure: a default reaches machines like any other
    /// value, so it is kept and shown like one. The placeholder keeps the sealed default the param had; a sealed
    /// default stays sealed when the param stops being secure (an operator may edit params but not read secrets).
    /// </summary>
    /// <returns>False when the default is sealed with another server's key or was altered.</returns>
    public bool SealDefault(Param param, Param? previous)
    {
        var value = param.Schema.Default;
        if (IsSealed(value))
        {
            return CanReveal(param.Name, value);
        }
        if (IsPlaceholder(value) && IsSealed(previous?.Schema.Default))
        {
            param.Schema.Default = previous!.Schema.Default!.DeepClone();
        }
        else if (param.Secure && value is not null)
        {
            param.Schema.Default = Seal(param.Name, value);
        }
        return true;
    }

    /// <summary>A copy of the param with its default opened, to check the default against the schema.</summary>
    public Param WithDefaultOpened(Param param)
    {
        if (!IsSealed(param.Schema.Default))
        {
            return param;
        }
        var opened = param.CloneAs<Param>();
        opened.Schema.Default = Reveal(param.Name, param.Schema.Default);
        return opened;
    }

    private static bool IsPlaceholder(JsonNode? value) =>
        value is JsonValue placeholder && placeholder.TryGetValue<string>(out var text) && text == Redacted;

    private static byte[] AssociatedData(string name) => Encoding.UTF8.GetBytes("rebar-param:" + name);
}
