using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using RebarProvision.Model;
using RebarProvision.Server.Auth;

namespace RebarProvision.Server.Secrets;

/// <summary>
/// What leaves the server of an object: never a password or token hash; secure param values in plain text for
/// callers allowed to read secrets (<see cref="RebarClaims.MayReadSecrets"/>), as <see cref="SecureParams.Redacted"/>
/// for everyone else and in events.
/// </summary>
public static class Redaction
{
    /// <summary>Fields that hold credential hashes: written by the server, never shown.</summary>
    private static readonly string[] CredentialFields = ["passwordHash", "secretHash"];

    /// <summary>Whether a top-level field holds a credential hash, which no answer shows and no filter may probe.</summary>
    public static bool IsCredentialField(string name) =>
        Array.Exists(CredentialFields, f => string.Equals(f, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The object as an event snapshot (which readonly callers read): no hashes, no secure values.</summary>
    public static JsonNode? ForEvent(StoredObject value) =>
        RedactSealed(WithoutCredentials(JsonSerializer.SerializeToNode(value, value.GetType(), ModelJson.Options)));

    /// <summary>The object as the API answers it to <paramref name="caller"/>.</summary>
    public static JsonNode ForCaller(StoredObject value, ClaimsPrincipal caller, SecureParams secrets)
    {
        var node = WithoutCredentials(JsonSerializer.SerializeToNode(value, value.GetType(), ModelJson.Options))!;
        if (RebarClaims.MayReadSecrets(caller) && node["params"] is JsonObject parameters)
        {
            foreach (var (name, sealedValue) in parameters.ToList())
            {
                if (SecureParams.IsSealed(sealedValue))
                {
                    parameters[name] = Opened(name, sealedValue, secrets);
                }
            }
        }
        if (RebarClaims.MayReadSecrets(caller) && value is Param param && node["schema"] is JsonObject schema && SecureParams.IsSealed(schema["default"]))
        {
            schema["default"] = Opened(param.Name, schema["default"], secrets);
        }
        return RedactSealed(node)!;
    }

    private static JsonNode? Opened(string name, JsonNode? sealedValue, SecureParams secrets) =>
        secrets.CanReveal(name, sealedValue) ? secrets.Reveal(name, sealedValue)?.DeepClone() : SecureParams.Redacted;

    /// <summary>An API answer of one object, shaped for the caller.</summary>
    public static IResult Json(HttpContext http, StoredObject value, int statusCode = StatusCodes.Status200OK) =>
        Results.Json(ForCaller(value, http.User, http.RequestServices.GetRequiredService<SecureParams>()), ModelJson.Options, statusCode: statusCode);

    /// <summary>Replaces every sealed value anywhere in the tree with the placeholder.</summary>
    public static JsonNode? RedactSealed(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o when SecureParams.IsSealed(o):
                return JsonValue.Create(SecureParams.Redacted);
            case JsonObject o:
                foreach (var (name, child) in o.ToList())
                {
                    var redacted = RedactSealed(child);
                    if (!ReferenceEquals(redacted, child))
                    {
                        o[name] = redacted;
                    }
                }
                return o;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    var child = a[i];
                    var redacted = RedactSealed(child);
                    if (!ReferenceEquals(redacted, child))
                    {
                        a[i] = redacted;
                    }
                }
                return a;
            default:
                return node;
        }
    }

    private static JsonNode? WithoutCredentials(JsonNode? node)
    {
        if (node is JsonObject o)
        {
            foreach (var field in CredentialFields)
            {
                o.Remove(field);
            }
        }
        return node;
    }
}
