using System.Globalization;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using RebarProvision.Model;
using RebarProvision.Server.Cluster;
using RebarProvision.Server.Objects;

namespace RebarProvision.Server.Auth;

/// <summary>
/// Basic (local users) and Bearer (API tokens, and a machine's HMAC token on that machine's own routes) for the API.
/// Missing or wrong credentials answer 401 with WWW-Authenticate; a client locked out by <see cref="LoginThrottle"/>
/// answers 429 with Retry-After before its password is even checked; an insufficient role answers 403.
/// </summary>
public sealed class RebarAuthenticationHandler : AuthenticationHandler<AuthenticationSchemeOptions>
{
    private const string LockedOutItem = "rebar:retry-after";
    private const string Realm = "rebar-provision";

    private readonly ObjectCache _cache;
    private readonly PasswordCheck _passwords;
    private readonly LoginThrottle _throttle;
    private readonly ApiTokens _tokens;
    private readonly MachineTokens _machineTokens;
    private readonly PeerCredential _peers;

    public RebarAuthenticationHandler(
        IOptionsMonitor<AuthenticationSchemeOptions> options,
        ILoggerFactory logger,
        UrlEncoder encoder,
        ObjectCache cache,
        PasswordCheck passwords,
        LoginThrottle throttle,
        ApiTokens tokens,
        MachineTokens machineTokens,
        PeerCredential peers)
        : base(options, logger, encoder)
    {
        _peers = peers;
        _cache = cache;
        _passwords = passwords;
        _throttle = throttle;
        _tokens = tokens;
        _machineTokens = machineTokens;
    }

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        var space = header.IndexOf(' ', StringComparison.Ordinal);
        var scheme = space < 0 ? header : header[..space];
        var credentials = space < 0 ? "" : header[(space + 1)..].Trim();
        var result = scheme.ToLowerInvariant() switch
        {
            "basic" => Basic(credentials),
            "bearer" => Bearer(credentials),
            _ => AuthenticateResult.Fail("only Basic and Bearer credentials are accepted"),
        };
        return Task.FromResult(result);
    }

    private AuthenticateResult Basic(string credentials)
    {
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(credentials));
        }
        catch (FormatException)
        {
            return AuthenticateResult.Fail("malformed Basic credentials");
        }
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return AuthenticateResult.Fail("malformed Basic credentials");
        }
        var (name, password) = (decoded[..colon], decoded[(colon + 1)..]);
        var client = Context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var user = _cache.Get<User>(name);
        var wait = _throttle.RetryAfter(client, name, _passwords.IsRemembered(user, password));
        if (wait > TimeSpan.Zero)
        {
            Context.Items[LockedOutItem] = wait;
            return AuthenticateResult.Fail("too many failed logins");
        }
        // Unknown names cost the same derivation as wrong passwords (PasswordCheck), so timing does not tell them apart.
        if (_passwords.Verify(user, password))
        {
            return Success(RebarClaims.Principal(user.Name, user.Role));
        }
        _throttle.Failed(client, name);
        Logger.LogInformation("Failed login for user {User} from {Client}", name, client);
        return AuthenticateResult.Fail("wrong user name or password");
    }

    private AuthenticateResult Bearer(string token)
    {
        if (_tokens.Authenticate(token, out var refusal) is { } principal)
        {
            return Success(principal);
        }
        if (refusal is not null)
        {
            return AuthenticateResult.Fail(refusal);
        }
        if (_peers.IsValid(token))
        {
            return Success(RebarClaims.Principal(PeerCredential.PrincipalName, Role.Readonly));
        }
        // The machine's own HMAC token (the one its rendered files carry) is good for that machine's routes only.
        if (Context.GetRouteValue("id") is string id && OwnMachineRequirement.FindMachine(_cache, id) is { } machine
            && _machineTokens.IsValidFor(token, machine))
        {
            return Success(RebarClaims.Principal($"machine:{machine.Name}", Role.Machine, machine.Uuid));
        }
        return AuthenticateResult.Fail("unknown, expired or misplaced token");
    }

    private AuthenticateResult Success(ClaimsPrincipal principal) =>
        AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items[LockedOutItem] is TimeSpan wait)
        {
            var seconds = (int)Math.Ceiling(wait.TotalSeconds);
            Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many failed logins",
                detail: $"try again in {seconds} s").ExecuteAsync(Context);
            return;
        }
        Response.Headers.Append("WWW-Authenticate", $"Basic realm=\"{Realm}\", charset=\"UTF-8\"");
        Response.Headers.Append("WWW-Authenticate", $"Bearer realm=\"{Realm}\"");
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure?.Message;
        await Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
            detail: failure ?? "credentials are required (Basic user:password or Bearer token)").ExecuteAsync(Context);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
            detail: $"{Context.User.Identity?.Name} ({Context.User.FindFirstValue(ClaimTypes.Role)}) may not {Request.Method} {Request.Path}").ExecuteAsync(Context);
}
