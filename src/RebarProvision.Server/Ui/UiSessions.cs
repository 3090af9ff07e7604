using System.Net.Http.Headers;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using RebarProvision.Model;
using RebarProvision.Server.Api;
using RebarProvision.Server.Auth;
using RebarProvision.Server.Hosting;
using RebarProvision.Server.Objects;

namespace RebarProvision.Server.Ui;

/// <summary>
/// The UI's login: <c>POST /ui/session</c> with <c>{user, password}</c> checks them through the API's own
/// authentication (same password check, same throttle) and answers an API token of the user's role that expires in
/// 12 hours; <c>DELETE /ui/session</c> revokes it. A form post instead of Basic from the page, because a 401 with
/// <c>WWW-Authenticate: Basic</c> makes a browser pop up its own password dialog over the page.
/// </summary>
public static class UiSessions
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);

    public sealed record LoginRequest(string? User, string? Password);

    public sealed record Session(string Token, string Name, string Role, DateTimeOffset ExpiresAt);

    public static void MapUiSessions(this IEndpointRouteBuilder app, Listener api)
    {
        app.MapPost("/ui/session", LogInAsync).AddEndpointFilter<ProblemFilter>().WithMetadata(api).RequireHost($"*:{api.Port}").ExcludeFromDescription();
        app.MapDelete("/ui/session", LogOutAsync).WithMetadata(api).RequireHost($"*:{api.Port}").ExcludeFromDescription();
    }

    private static async Task<IResult> LogInAsync(LoginRequest body, HttpContext http, Inventory inventory, TimeProvider time, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(body.User) || body.Password is null)
        {
            throw new ValidationFailedException(string.IsNullOrEmpty(body.User) ? "user" : "password", "is required");
        }
        http.Request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{body.User}:{body.Password}"))).ToString();
        var result = await AuthenticateAgainAsync(http);
        if (!result.Succeeded || inventory.Cache.Get<User>(body.User) is not { } user)
        {
            var lockedOut = result.Failure?.Message.Contains("too many", StringComparison.Ordinal) == true;
            return Results.Problem(statusCode: lockedOut ? StatusCodes.Status429TooManyRequests : StatusCodes.Status401Unauthorized,
                title: lockedOut ? "Too many failed logins" : "Unauthorized", detail: result.Failure?.Message ?? "wrong user name or password");
        }
        var (secret, hash) = ApiTokens.NewSecret();
        var token = new ApiToken
        {
            Id = "ui-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            User = user.Name,
            Role = user.Role,
            ExpiresAt = time.GetUtcNow() + Lifetime,
            SecretHash = hash,
            // A session dies with its user's password, like every other token of the user's.
            PasswordStamp = ApiTokens.PasswordStampOf(user),
            Meta = new() { ["purpose"] = "web ui session" },
        };
        await inventory.CreateAsync(token, user.Name, ct);
        return Results.Json(new Session($"{token.Id}.{secret}", user.Name, RoleRank.Name(user.Role), token.ExpiresAt.Value));
    }

    /// <summary>
    /// Runs the API's authentication handler on the credentials just put into the request. A fresh handler, because
    /// the one the middleware ran (with no credentials) keeps its first answer for the whole request.
    /// </summary>
    private static async Task<AuthenticateResult> AuthenticateAgainAsync(HttpContext http)
    {
        var scheme = await http.RequestServices.GetRequiredService<IAuthenticationSchemeProvider>().GetSchemeAsync(RebarClaims.Scheme)
            ?? throw new InvalidOperationException($"authentication scheme {RebarClaims.Scheme} is not registered");
        var handler = ActivatorUtilities.CreateInstance<RebarAuthenticationHandler>(http.RequestServices);
        await handler.InitializeAsync(scheme, http);
        return await handler.AuthenticateAsync();
    }

    /// <summary>Revokes the session's own token (any role may end its own session, not another's).</summary>
    private static async Task<IResult> LogOutAsync(HttpContext http, Inventory inventory, CancellationToken ct)
    {
        var result = await http.AuthenticateAsync(RebarClaims.Scheme);
        var name = result.Principal?.FindFirstValue(ClaimTypes.Name);
        if (name is null || !name.StartsWith("token:ui-", StringComparison.Ordinal))
        {
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", detail: "send the session's bearer token");
        }
        await inventory.DeleteAsync(ObjectKind.Tokens, name["token:".Length..], null, name, ct);
        return Results.NoContent();
    }
}
