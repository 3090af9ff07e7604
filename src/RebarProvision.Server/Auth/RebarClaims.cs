using System.Security.Claims;
using RebarProvision.Model;

namespace RebarProvision.Server.Auth;

/// <summary>The principal a request runs as: its name (the event actor), its role, and for machine tokens the machine.</summary>
public static class RebarClaims
{
    public const string Scheme = "rebar";

    /// <summary>The uuid of the one machine a machine-scoped principal may act for.</summary>
    public const string MachineClaim = "rebar:machine";

    public static ClaimsPrincipal Principal(string name, Role role, string? machineUuid = null)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, name), new(ClaimTypes.Role, RoleRank.Name(role)) };
        if (machineUuid is not null)
        {
            claims.Add(new Claim(MachineClaim, machineUuid));
        }
        return new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme, ClaimTypes.Name, ClaimTypes.Role));
    }

    public static Role RoleOf(ClaimsPrincipal user) =>
        Enum.TryParse<Role>(user.FindFirstValue(ClaimTypes.Role), ignoreCase: true, out var role) && user.Identity?.IsAuthenticated == true
            ? role
            : Role.Machine;

    /// <summary>Secure param values are shown in plain text to admins only; everyone else gets them redacted.</summary>
    public static bool MayReadSecrets(ClaimsPrincipal user) => RoleOf(user) == Role.Admin;
}
