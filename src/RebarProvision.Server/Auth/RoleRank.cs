using RebarProvision.Model;

namespace RebarProvision.Server.Auth;

/// <summary>The order of the human roles: readonly &lt; operator &lt; admin. A machine token ranks below all of them.</summary>
public static class RoleRank
{
    public static int Of(Role role) => role switch
    {
        Role.Admin => 3,
        Role.Operator => 2,
        Role.Readonly => 1,
        _ => 0,
    };

    /// <summary>The claim value of a role, as policies compare it: admin, operator, readonly, machine.</summary>
    public static string Name(Role role) => role.ToString().ToLowerInvariant();
}
