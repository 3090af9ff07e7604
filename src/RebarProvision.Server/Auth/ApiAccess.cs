using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing.Patterns;
using RebarProvision.Model;

namespace RebarProvision.Server.Auth;

/// <summary>
/// Who may call which API route. Every endpoint under <c>/api/v1</c> gets a policy from one table, so a route added
/// later is protected by default (reads need readonly, writes need operator):
/// <list type="table">
/// <item><term>readonly</term><description>GET on everything except users and tokens; secure values redacted; may create tokens for itself (readonly ones)</description></item>
/// <item><term>operator</term><description>also every write except on users and tokens; secure values are write-only</description></item>
/// <item><term>admin</term><description>everything, including users, tokens and secure values in plain text</description></item>
/// <item><term>machine</term><description>only its own <c>GET machines/{id}/render/…</c> and <c>POST machines/{id}/callback</c></description></item>
/// </list>
/// </summary>
public static class ApiAccess
{
    public const string Read = "rebar-read";
    public const string Operate = "rebar-operate";
    public const string Admin = "rebar-admin";
    public const string OwnMachine = "rebar-own-machine";

    public static IServiceCollection AddApiAccess(this IServiceCollection services)
    {
        services.AddSingleton<PasswordCheck>();
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<ApiTokens>();
        services.AddSingleton<IAuthorizationHandler, OwnMachineRequirement.Handler>();
        services.AddAuthentication(RebarClaims.Scheme)
            .AddScheme<AuthenticationSchemeOptions, RebarAuthenticationHandler>(RebarClaims.Scheme, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Read, p => p.RequireRole(RoleNames(Role.Readonly, Role.Operator, Role.Admin)))
            .AddPolicy(Operate, p => p.RequireRole(RoleNames(Role.Operator, Role.Admin)))
            .AddPolicy(Admin, p => p.RequireRole(RoleNames(Role.Admin)))
            .AddPolicy(OwnMachine, p => p.RequireAuthenticatedUser().AddRequirements(new OwnMachineRequirement()));
        return services;
    }

    /// <summary>Puts the policy of <see cref="PolicyFor"/> on every endpoint of the group, after all other conventions.</summary>
    public static TBuilder RequireApiAccess<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.Finally(endpoint =>
        {
            if (endpoint is RouteEndpointBuilder route && !endpoint.Metadata.OfType<IAuthorizeData>().Any())
            {
                var methods = endpoint.Metadata.OfType<HttpMethodMetadata>().LastOrDefault()?.HttpMethods ?? ["GET"];
                var policy = methods.Select(m => PolicyFor(m, route.RoutePattern)).MaxBy(Strictness)!;
                endpoint.Metadata.Add(new AuthorizeAttribute(policy));
            }
        });
        return builder;
    }

    /// <summary>The table: <paramref name="pattern"/> is the full route, e.g. <c>/api/v1/machines/{id}/callback</c>.</summary>
    public static string PolicyFor(string method, RoutePattern pattern)
    {
        var segments = pattern.PathSegments.Select(s => s.Parts is [RoutePatternLiteralPart literal] ? literal.Content : "{}").ToArray();
        var resource = segments is ["api", "v1", var first, ..] ? first : "";
        var get = method is "GET" or "HEAD";
        return (resource, segments.Length, method) switch
        {
            ("machines", >= 5, _) when segments[4] == "render" && get => OwnMachine,
            ("machines", 5, "POST") when segments[4] == "callback" => OwnMachine,
            // Any user may mint a token for itself; TokenEndpoints keeps its role at most the caller's.
            ("tokens", 3, "POST") => Read,
            ("users" or "tokens", _, _) => Admin,
            _ when get => Read,
            _ => Operate,
        };
    }

    private static int Strictness(string policy) => policy switch
    {
        Admin => 3,
        Operate => 2,
        OwnMachine => 1,
        _ => 0,
    };

    private static string[] RoleNames(params Role[] roles) => roles.Select(RoleRank.Name).ToArray();
}
