using System.Text.Json.Nodes;
using RebarProvision.Model;
using RebarProvision.Server.Api;
using RebarProvision.Server.Objects;
using RebarProvision.Store;

namespace RebarProvision.Server.Machines;

/// <summary>
/// The state transitions of DESIGN §4: a bootenv change puts a machine into provisioning; its installer's callback
/// reports installed (the bootenv then flips to <c>local</c>, or to the machine's <c>next-bootenv</c> param) or
/// failed with a message; a boot is recorded when the machine fetches its boot script.
/// </summary>
public sealed class MachineLifecycle
{
    public const string LocalBootEnv = "local";
    public const string DiscoveryBootEnv = "discovery";

    /// <summary>A param naming the bootenv to switch to after a successful install instead of <c>local</c>.</summary>
    public const string NextBootEnvParam = "next-bootenv";

    private readonly Inventory _inventory;
    private readonly TimeProvider _time;

    public MachineLifecycle(Inventory inventory, TimeProvider time)
    {
        _inventory = inventory;
        _time = time;
    }

    /// <summary>Bootenvs that install nothing, so choosing them does not start provisioning.</summary>
    public static bool IsPassive(string? bootEnv) => bootEnv is null or LocalBootEnv or DiscoveryBootEnv or "ignore";

    /// <summary>
    /// Applies a callback: <c>installed</c> or <c>failed</c> from an installer, or <c>discovered</c> from the discovery
    /// image with its inventory report (CPUs, memory, disks, NICs, serial, vendor). A callback that changes nothing
    /// (the same report again) is not written, so repeating it leaves no event.
    /// </summary>
    public async Task<Machine> CallbackAsync(Machine machine, string status, string? message, string actor, JsonObject? inventory = null, CancellationToken cancellationToken = default) =>
        ApplyCallback(machine, status, message, inventory)
            ? (Machine)await _inventory.UpdateAsync(machine, machine.Revision, actor, cancellationToken)
            : machine;

    /// <summary>Applies a callback to <paramref name="machine"/> in place, storing nothing.</summary>
    /// <returns>Whether the machine changed.</returns>
    /// <exception cref="ValidationFailedException">The status is unknown, or a discovered callback has no inventory.</exception>
    public static bool ApplyCallback(Machine machine, string status, string? message, JsonObject? inventory)
    {
        var before = (machine.State, machine.StateMessage, machine.BootEnv, Inventory: machine.Inventory?.DeepClone());
        if (inventory is not null)
        {
            machine.Inventory = inventory;
        }
        switch (status)
        {
            case "discovered":
                if (inventory is null)
                {
                    throw new ValidationFailedException("inventory", "a discovered callback carries the machine's inventory");
                }
                break;
            case "installed":
                machine.State = MachineState.Installed;
                machine.StateMessage = message;
                machine.BootEnv = machine.Params.TryGetValue(NextBootEnvParam, out var next) && next is JsonValue v && v.TryGetValue<string>(out var name)
                    ? name
                    : LocalBootEnv;
                break;
            case "failed":
                machine.State = MachineState.Failed;
                machine.StateMessage = string.IsNullOrWhiteSpace(message) ? "the installer reported a failure" : message;
                break;
            default:
                throw new ValidationFailedException("status", "must be installed, failed or discovered");
        }
        return before.State != machine.State || before.StateMessage != machine.StateMessage || before.BootEnv != machine.BootEnv
            || !JsonNode.DeepEquals(before.Inventory, machine.Inventory);
    }

    /// <summary>Revokes the machine's callback tokens and boot URLs by giving it a new boot secret.</summary>
    public Task<Machine> RotateSecretAsync(Machine machine, string actor, CancellationToken cancellationToken = default) =>
        _inventory.RotateBootSecretAsync(machine, actor, cancellationToken);

    /// <summary>Reimage: point the machine at a bootenv (and profiles) and mark it provisioning.</summary>
    public async Task<Machine> ReimageAsync(Machine machine, string bootEnv, IReadOnlyList<string>? profiles, string actor, CancellationToken cancellationToken = default)
    {
        if (await _inventory.Objects.GetAsync(ObjectKind.BootEnvs, bootEnv, cancellationToken) is null)
        {
            throw new ValidationFailedException("bootEnv", $"bootenv '{bootEnv}' does not exist");
        }
        machine.BootEnv = bootEnv;
        if (profiles is not null)
        {
            machine.Profiles = [.. profiles];
        }
        machine.State = MachineState.Provisioning;
        // A reimage restarts the stuck-machine clock even when the machine was already provisioning.
        machine.ProvisioningSince = _time.GetUtcNow();
        machine.StateMessage = $"reimage to {bootEnv} requested at {machine.ProvisioningSince:O}";
        return (Machine)await _inventory.UpdateAsync(machine, machine.Revision, actor, cancellationToken);
    }

    /// <summary>A boot within this long of the last recorded one is not written again (a boot storm fetches scripts repeatedly).</summary>
    public static readonly TimeSpan BootRecordInterval = TimeSpan.FromSeconds(30);

    /// <summary>Records that the machine fetched its boot script, at most once per <see cref="BootRecordInterval"/>.</summary>
    public async Task RecordBootAsync(Machine machine, CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        if (machine.LastBootAt is { } last && now - last < BootRecordInterval)
        {
            return;
        }
        machine.LastBootAt = now;
        try
        {
            await _inventory.UpdateAsync(machine, machine.Revision, "boot", cancellationToken);
        }
        catch (Exception e) when (e is StorePreconditionFailedException or StoreUnavailableException)
        {
            // Someone changed the machine meanwhile, or the database is away (the boot must go on without it); the
            // boot time is informational and not worth a retry.
        }
    }
}
