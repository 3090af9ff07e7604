using Microsoft.AspNetCore.Authorization;
using RebarProvision.Model;
using RebarProvision.Server.Objects;

namespace RebarProvision.Server.Auth;

/// <summary>
/// A machine's own routes (<c>machines/{id}/render/…</c>, <c>machines/{id}/callback</c>): operators and admins may
/// use them for any machine, a machine-scoped principal only for the machine named by <c>{id}</c> (uuid or name).
/// </summary>
public sealed class OwnMachineRequirement : IAuthorizationRequirement
{
    public static Machine? FindMachine(ObjectCache cache, string id) =>
        cache.Get<Machine>(id) ?? cache.Get<Machine>(id.ToLowerInvariant()) ?? cache.All<Machine>().FirstOrDefault(m => m.Name == id);

    internal sealed class Handler(ObjectCache cache) : AuthorizationHandler<OwnMachineRequirement>
    {
        protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, OwnMachineRequirement requirement)
        {
            var role = RebarClaims.RoleOf(context.User);
            if (context.User.Identity?.IsAuthenticated == true && role is Role.Operator or Role.Admin)
            {
                context.Succeed(requirement);
            }
            else if (role == Role.Machine
                && context.Resource is HttpContext http
                && http.GetRouteValue("id") is string id
                && FindMachine(cache, id) is { } machine
                && context.User.FindFirst(RebarClaims.MachineClaim)?.Value == machine.Uuid)
            {
                context.Succeed(requirement);
            }
            return Task.CompletedTask;
        }
    }
}
