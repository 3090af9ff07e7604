using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using RebarProvision.Model;
using RebarProvision.Server.Api;
using RebarProvision.Server.Boot;
using RebarProvision.Server.Objects;
using RebarProvision.Server.Secrets;

namespace RebarProvision.Server.Auth;

/// <summary>
/// <c>POST /api/v1/tokens</c>: mints an API token for the caller and answers its secret, once, as <c>token</c>
/// (<c>&lt;id&gt;.&lt;secret&gt;</c>). Only the secret's hash is stored. Listing, reading and deleting tokens are the
/// generic object routes (admin only).
/// </summary>
public static class TokenEndpoints
{
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromDays(30);

    /// <summary>The longest a token may live: a forgotten token must end by itself.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(366);

    public sealed record CreateTokenRequest(string? Id, Role? Role, DateTimeOffset? ExpiresAt, string? Machine, Dictionary<string, string>? Meta);

    public static void MapTokenEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/tokens", CreateAsync)
            .WithTags("tokens")
            .WithName("create-tokens")
            .Produces<JsonObject>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict);
    }

    private static async Task<IResult> CreateAsync(CreateTokenRequest? body, HttpContext http, Inventory inventory, BootSecrets bootSecrets, TimeProvider time, CancellationToken ct)
    {
        body ??= new CreateTokenRequest(null, null, null, null, null);
        var caller = RebarClaims.RoleOf(http.User);
        var role = body.Role ?? Role.Readonly;
        Machine? machine = null;
        if (role == Role.Machine)
        {
            if (RoleRank.Of(caller) < RoleRank.Of(Role.Operator))
            {
                return Forbidden(http, "only operators and admins may mint machine tokens");
            }
            if (string.IsNullOrEmpty(body.Machine))
            {
                throw new ValidationFailedException("machine", "is required for a machine token");
            }
            machine = OwnMachineRequirement.FindMachine(inventory.Cache, body.Machine)
                ?? throw new ValidationFailedException("machine", $"machine '{body.Machine}' does not exist");
        }
        else if (body.Machine is not null)
        {
            throw new ValidationFailedException("machine", "only machine tokens name a machine");
        }
        else if (RoleRank.Of(role) > RoleRank.Of(caller))
        {
            return Forbidden(http, $"a {RoleRank.Name(caller)} cannot mint a {RoleRank.Name(role)} token");
        }
        var now = time.GetUtcNow();
        var expiresAt = body.ExpiresAt ?? now + DefaultLifetime;
        if (expiresAt <= now)
        {
            throw new ValidationFailedException("expiresAt", "must be in the future");
        }
        if (expiresAt > now + MaxLifetime)
        {
            throw new ValidationFailedException("expiresAt", $"may be at most {MaxLifetime.TotalDays:0} days from now");
        }
        var user = UserOf(http.User, inventory.Cache);
        var (secret, hash) = ApiTokens.NewSecret();
        var token = new ApiToken
        {
            Id = body.Id ?? "tok-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)),
            User = user,
            PasswordStamp = user is not null && inventory.Cache.Get<User>(user) is { } owner ? ApiTokens.PasswordStampOf(owner) : null,
            Role = role,
            Machine = machine?.Uuid,
            MachineStamp = machine is null ? null : bootSecrets.StampOf(machine)
                ?? throw new ValidationFailedException("machine", $"machine '{machine.Name}' has no boot secret this server can open; rotate it first"),
            ExpiresAt = expiresAt,
            SecretHash = hash,
            Meta = body.Meta ?? [],
        };
        var stored = await inventory.CreateAsync(token, Actor.Of(http), ct);
        var answer = (JsonObject)Redaction.ForCaller(stored, http.User, http.RequestServices.GetRequiredService<SecureParams>());
        answer["token"] = $"{stored.Key}.{secret}";
        http.Response.Headers.ETag = Etag.Of(stored.Revision);
        return Results.Json(answer, ModelJson.Options, statusCode: StatusCodes.Status201Created);
    }

    /// <summary>The user a new token belongs to: the caller, or for a token-authenticated caller that token's user.</summary>
    private static string? UserOf(ClaimsPrincipal caller, ObjectCache cache)
    {
        var name = caller.FindFirstValue(ClaimTypes.Name);
        return name is not null && name.StartsWith("token:", StringComparison.Ordinal)
            ? cache.Get<ApiToken>(name["token:".Length..])?.User
            : name;
    }

    private static IResult Forbidden(HttpContext http, string detail) =>
        Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: $"{Actor.Of(http)}: {detail}");
}
