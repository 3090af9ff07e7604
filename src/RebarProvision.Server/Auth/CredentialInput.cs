using System.Text.Json;
using System.Text.Json.Nodes;
using RebarProvision.Model;
using RebarProvision.Server.Api;

namespace RebarProvision.Server.Auth;

/// <summary>
/// How users and tokens are read from API bodies: a user's <c>password</c> is write-only and is stored only as its
/// hash; <c>passwordHash</c>, <c>secretHash</c> and a token's stamps are written by the server alone, kept across a
/// replace or patch.
/// </summary>
public static class CredentialInput
{
    public const int MinPasswordLength = 8;

    public static bool Applies(ObjectKind kind) => kind == ObjectKind.Users || kind == ObjectKind.Tokens;

    public static async Task<StoredObject> ReadAsync(HttpRequest request, ObjectKind kind, StoredObject? current, CancellationToken cancellationToken)
    {
        var document = await JsonSerializer.DeserializeAsync<JsonNode>(request.Body, ModelJson.Options, cancellationToken)
            ?? throw new ValidationFailedException("$", "a JSON object is required");
        return FromDocument(document, kind, current);
    }

    /// <param name="document">The object as sent (create, replace) or as patched; changed in place.</param>
    /// <param name="kind">Users or tokens.</param>
    /// <param name="current">The stored object being replaced, or null on create.</param>
    public static StoredObject FromDocument(JsonNode document, ObjectKind kind, StoredObject? current)
    {
        if (document is not JsonObject body)
        {
            throw new ValidationFailedException("$", "a JSON object is required");
        }
        var password = TakePassword(body);
        var value = (StoredObject)(body.Deserialize(kind.ClrType, ApiJson.Strict) ?? throw new ValidationFailedException("$", "a JSON object is required"));
        switch (value)
        {
            case User user:
                user.PasswordHash = ServerWritten(user.PasswordHash, (current as User)?.PasswordHash, "passwordHash", "send password instead");
                if (password is not null)
                {
                    if (password.Length < MinPasswordLength)
                    {
                        throw new ValidationFailedException("password", $"must be at least {MinPasswordLength} characters");
                    }
                    user.PasswordHash = PasswordHasher.Hash(password);
                }
                break;
            case ApiToken token:
                var currentToken = current as ApiToken;
                token.SecretHash = ServerWritten(token.SecretHash, currentToken?.SecretHash, "secretHash", "create a new token instead");
                // The stamps bind a token to its user's password and its machine's install; an edit must not
                // drop them (which would let the token outlive both) nor copy a newer one in (which would revive it).
                token.PasswordStamp = ServerWritten(token.PasswordStamp, currentToken?.PasswordStamp, "passwordStamp", "create a new token instead");
                token.MachineStamp = ServerWritten(token.MachineStamp, currentToken?.MachineStamp, "machineStamp", "create a new token instead");
                break;
        }
        return value;
    }

    private static string? TakePassword(JsonObject body)
    {
        var field = body.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, "password", StringComparison.OrdinalIgnoreCase));
        if (field is null)
        {
            return null;
        }
        var node = body[field];
        body.Remove(field);
        return node is JsonValue v && v.TryGetValue<string>(out var text)
            ? text
            : throw new ValidationFailedException("password", "must be a string");
    }

    private static string? ServerWritten(string? given, string? current, string field, string hint) =>
        given is null || given == current
            ? current
            : throw new ValidationFailedException(field, $"is written by the server; {hint}");
}
