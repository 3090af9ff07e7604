using RebarProvision.Model;
using RebarProvision.Server.Images;
using RebarProvision.Server.Objects;

namespace RebarProvision.Server.Machines;

/// <summary>
/// Why a known machine cannot boot from this node, in the operator's words, or null when it can: its bootenv does
/// not exist, or this node lacks the bootenv's kernel or initrds. The same sentence goes to the machine's console
/// (<see cref="Boot.UnbootableScript"/>), the web UI and <c>rebarctl machines show</c>
/// (<c>GET /api/v1/machines/{id}/boot-check</c>).
/// </summary>
public static class BootCheck
{
    public sealed record Result(string Machine, string BootEnv, string Node, bool Bootable, string? Reason);

    public static string? Why(Machine machine, BootEnv? bootEnv, BootEnvReadiness readiness) =>
        bootEnv is null
            ? $"bootenv '{machine.BootEnv ?? MachineLifecycle.LocalBootEnv}' does not exist (set the machine's bootEnv to one that does)"
            : readiness.Check(bootEnv).Problem;

    public static Result Check(Machine machine, ObjectCache cache, BootEnvReadiness readiness, string node)
    {
        var name = machine.BootEnv ?? MachineLifecycle.LocalBootEnv;
        var reason = Why(machine, cache.Get<BootEnv>(name), readiness);
        return new Result(machine.Name, name, node, reason is null, reason);
    }
}
