using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using RebarProvision.Model;
using RebarProvision.Server.Api;
using RebarProvision.Server.Objects;
using RebarProvision.Server.Secrets;

namespace RebarProvision.Server.Power;

/// <summary>
/// Power actions on a machine through its <see cref="Machine.Power"/> endpoint. Credentials are the machine's
/// resolved params (machine, profiles, global, defaults, as templates see them), opened here for the one call.
/// </summary>
public sealed class PowerControl
{
    /// <summary>A boolean param: accept the BMC's self-signed certificate (Redfish).</summary>
    public const string InsecureParam = "power/insecure";

    private readonly ObjectCache _cache;
    private readonly SecureParams _secrets;
    private readonly IReadOnlyDictionary<string, IPowerDriver> _drivers;
    private readonly ILogger<PowerControl> _logger;

    public PowerControl(ObjectCache cache, SecureParams secrets, IEnumerable<IPowerDriver> drivers, ILogger<PowerControl> logger)
    {
        _cache = cache;
        _secrets = secrets;
        _drivers = drivers.ToDictionary(d => d.Kind, StringComparer.Ordinal);
        _logger = logger;
    }

    /// <exception cref="ValidationFailedException">The machine has no power endpoint or its credentials are missing (400).</exception>
    /// <exception cref="PowerControlException">The BMC failed (502).</exception>
    public async Task PowerAsync(Machine machine, PowerAction action, CancellationToken cancellationToken)
    {
        var endpoint = machine.Power ?? throw new ValidationFailedException("power", $"machine {machine.Name} has no power endpoint; set power.kind and power.address");
        var driver = _drivers.GetValueOrDefault(endpoint.Kind) ?? throw new ValidationFailedException("power.kind", $"no power driver for '{endpoint.Kind}'");
        var resolved = ParamResolver.Resolve(machine, _cache.Get<Profile>, _cache.All<Param>());
        var credentials = new PowerCredentials(
            Text(resolved, endpoint.UsernameParam, "power.usernameParam"),
            Text(resolved, endpoint.PasswordParam, "power.passwordParam"));
        var insecure = resolved.GetValueOrDefault(InsecureParam) is JsonValue flag
            && (flag.TryGetValue<bool>(out var b) ? b : flag.TryGetValue<string>(out var s) && bool.TryParse(s, out var parsed) && parsed);
        _logger.LogInformation("Power {Action} of {Machine} through {Kind} at {Address}", action, machine.Name, endpoint.Kind, endpoint.Address);
        await driver.PowerAsync(machine, action, credentials, insecure, cancellationToken);
    }

    private string Text(Dictionary<string, JsonNode?> resolved, string name, string field)
    {
        JsonNode? value;
        try
        {
            value = _secrets.Reveal(name, resolved.GetValueOrDefault(name));
        }
        catch (CryptographicException)
        {
            throw new ValidationFailedException(field, $"param '{name}' is sealed with another server's key; set it again");
        }
        return value is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() is { Length: > 0 } text
            ? text
            : throw new ValidationFailedException(field, $"param '{name}' holds no text; set it on the machine or a profile");
    }
}
