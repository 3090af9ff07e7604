using System.Security.Claims;

namespace RebarProvision.Server.Api;

/// <summary>Who made a request, as recorded in events.</summary>
public static class Actor
{
    public static string Of(HttpContext http) => http.User.FindFirstValue(ClaimTypes.Name) ?? "anonymous";
}
