using System.Reflection;
using System.Security.Claims;
using RebarProvision.Model;
using RebarProvision.Server.Auth;
using RebarProvision.Server.Hosting;
using RebarProvision.Server.Objects;

namespace RebarProvision.Server.Ui;

/// <summary>
/// The web UI on the API listener: one page and its script and style, compiled into the server so a published
/// binary needs no asset folder and no CDN. The page itself is public (it is only a login form until the browser
/// holds a token); everything it shows comes from <c>/api/v1</c> under the caller's own role, so a readonly user
/// sees redacted secrets exactly as the API answers them. <c>GET /api/v1/whoami</c> tells the page which role it
/// holds, to leave out the buttons that role may not press.
/// </summary>
public static class UiEndpoints
{
    private static readonly (string Route, string Resource, string ContentType)[] Assets =
    [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/ui/app.js", "app.js", "text/javascript; charset=utf-8"),
        ("/ui/app.css", "app.css", "text/css; charset=utf-8"),
    ];

    public sealed record WhoAmI(string Name, string Role);

    public static void MapUi(this IEndpointRouteBuilder app, Listener api)
    {
        foreach (var (route, resource, contentType) in Assets)
        {
            var bytes = Load(resource);
            app.MapGet(route, (HttpContext http) =>
            {
                // The page runs our script only: no inline code, nothing from another origin, no framing.
                http.Response.Headers.ContentSecurityPolicy = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
                http.Response.Headers.XContentTypeOptions = "nosniff";
                http.Response.Headers.CacheControl = "no-cache";
                return Results.Bytes(bytes, contentType);
            }).WithMetadata(api).RequireHost($"*:{api.Port}").ExcludeFromDescription();
        }
    }

    /// <summary><c>GET /whoami</c>: the caller's user (a token's owner for a token) and role.</summary>
    public static void MapWhoAmI(this RouteGroupBuilder group) =>
        group.MapGet("/whoami", (ClaimsPrincipal user, ObjectCache cache) =>
        {
            var name = user.FindFirstValue(ClaimTypes.Name) ?? "";
            var owner = name.StartsWith("token:", StringComparison.Ordinal) ? cache.Get<ApiToken>(name["token:".Length..])?.User : null;
            return new WhoAmI(owner ?? name, RoleRank.Name(RebarClaims.RoleOf(user)));
        }).WithTags("auth").WithName("whoami");

    private static byte[] Load(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("RebarProvision.Server.Ui." + name)
            ?? throw new InvalidOperationException($"the UI asset {name} is not embedded in the server");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
