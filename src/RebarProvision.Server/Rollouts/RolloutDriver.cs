using System.Text.Json;
using RebarProvision.Model;
using RebarProvision.Server.Api;
using RebarProvision.Server.Cluster;
using RebarProvision.Server.Events;
using RebarProvision.Server.Machines;
using RebarProvision.Server.Objects;
using RebarProvision.Server.Power;
using RebarProvision.Store;

namespace RebarProvision.Server.Rollouts;

/// <summary>
/// Drives every active rollout. With several nodes on one PostgreSQL only the holder of the singleton-work lock
/// drives (DESIGN §7, <see cref="SingletonWork"/>), so one node at a time takes slots; a node that takes over reads
/// the rollout from the store and carries on. A slot is taken by writing the rollout at the revision read before
/// the machine is reimaged, so even two nodes overlapping for a moment during a hand-over cannot both start a
/// machine: the second write fails its revision check. Runs when a machine or rollout changes on this node and
/// once a second otherwise (callbacks answered by other nodes reach this one through the cache, not the event bus).
/// </summary>
public sealed class RolloutDriver(
    Inventory inventory,
    RolloutRecords records,
    MachineLifecycle lifecycle,
    PowerControl power,
    EventBus events,
    SingletonWork singleton,
    TimeProvider time,
    ILogger<RolloutDriver> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>Attempts at writing a machine's reimage when the machine keeps changing under it (boots recorded).</summary>
    private const int ReimageAttempts = 3;

    public static string ActorOf(Rollout rollout) => $"rollout:{rollout.Id}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var changes = events.Subscribe();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (singleton.IsHolder)
                {
                    try
                    {
                        await RunOnceAsync(stoppingToken);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        logger.LogWarning(e, "Driving rollouts failed; retrying in {Interval}", Interval);
                    }
                }
                await WaitForChangeAsync(changes, stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>One pass over every active rollout.</summary>
    public async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        foreach (var cached in inventory.Cache.All<Rollout>().Where(RolloutProgress.IsActive).OrderBy(r => r.CreatedAt).ToList())
        {
            if (await records.GetAsync(cached.Id, cancellationToken) is { } rollout && RolloutProgress.IsActive(rollout))
            {
                await AdvanceAsync(rollout, cancellationToken);
            }
        }
    }

    private async Task AdvanceAsync(Rollout rollout, CancellationToken cancellationToken)
    {
        var actor = ActorOf(rollout);
        foreach (var overdue in RolloutProgress.Overdue(rollout, inventory.Cache.Get<Machine>, time.GetUtcNow()).ToList())
        {
            await FailOverdueAsync(rollout, overdue, actor, cancellationToken);
        }
        // Slots whose reimage was never recorded are judged from the store, not the cache, which may lag a moment
        // behind the node that wrote the reimage.
        var unrecorded = new Dictionary<string, Machine?>(StringComparer.Ordinal);
        foreach (var entry in rollout.Machines.Where(e => e.State == RolloutMachineState.Reimaging && e.ReimagedRevision is null))
        {
            unrecorded[entry.Uuid] = await inventory.Objects.GetAsync<Machine>(entry.Uuid, cancellationToken);
        }
        var before = JsonSerializer.Serialize(rollout, ModelJson.Options);
        var toReimage = RolloutProgress.Advance(rollout, uuid => unrecorded.TryGetValue(uuid, out var fresh) ? fresh : inventory.Cache.Get<Machine>(uuid), time.GetUtcNow());
        if (JsonSerializer.Serialize(rollout, ModelJson.Options) != before)
        {
            try
            {
                rollout = (Rollout)await inventory.UpdateAsync(rollout, rollout.Revision, actor, cancellationToken);
            }
            catch (StorePreconditionFailedException)
            {
                // Stopped, or driven by another node a moment ago: the slots are not ours; the next pass reads again.
                return;
            }
        }
        foreach (var entry in toReimage)
        {
            var (revision, failure) = await ReimageAsync(rollout, entry.Uuid, actor, cancellationToken);
            await records.ChangeAsync(rollout.Id, current =>
            {
                var stored = current.Machines.First(e => e.Uuid == entry.Uuid);
                stored.ReimagedRevision = revision ?? stored.ReimagedRevision;
                if (failure is not null)
                {
                    stored.State = RolloutMachineState.Failed;
                    stored.Message = failure;
                    stored.FinishedAt = time.GetUtcNow();
                }
                return true;
            }, actor, cancellationToken);
        }
        if (toReimage.Count > 0)
        {
            logger.LogInformation("Rollout {Rollout}: reimaging {Machines}", rollout.Id, string.Join(", ", toReimage.Select(e => e.Name)));
        }
    }

    /// <summary>Reimages one machine (and power-cycles it when the rollout says so).</summary>
    /// <returns>The machine's revision as the reimage stored it, and why it failed if it did.</returns>
    private async Task<(long? Revision, string? Failure)> ReimageAsync(Rollout rollout, string uuid, string actor, CancellationToken cancellationToken)
    {
        Machine? reimaged = null;
        try
        {
            for (var attempt = 1; reimaged is null; attempt++)
            {
                var machine = await inventory.Objects.GetAsync<Machine>(uuid, cancellationToken);
                if (machine is null)
                {
                    return (null, "the machine was deleted before its turn");
                }
                machine.Meta[RolloutProgress.MetaLabel] = rollout.Id;
                try
                {
                    reimaged = await lifecycle.ReimageAsync(machine, rollout.BootEnv, rollout.Profiles, actor, cancellationToken);
                }
                catch (StorePreconditionFailedException) when (attempt < ReimageAttempts)
                {
                }
            }
            if (rollout.Power)
            {
                await power.PowerAsync(reimaged, PowerAction.Cycle, cancellationToken);
            }
            return (reimaged.Revision, null);
        }
        catch (Exception e) when (e is ValidationFailedException or StoreNotFoundException or StorePreconditionFailedException or StoreConflictException or PowerControlException)
        {
            return (reimaged?.Revision, $"the reimage failed: {e.Message}");
        }
    }

    /// <summary>A machine past the rollout's timeout is marked failed, as the stuck-machine sweep would, saying why.</summary>
    private async Task FailOverdueAsync(Rollout rollout, RolloutMachine entry, string actor, CancellationToken cancellationToken)
    {
        if (inventory.Cache.Get<Machine>(entry.Uuid)?.CloneAs<Machine>() is not { } machine)
        {
            return;
        }
        machine.State = MachineState.Failed;
        machine.StateMessage = $"rollout {rollout.Id}: not installed within {StuckMachines.Describe(RolloutProgress.Timeout(rollout))} of its reimage";
        try
        {
            await inventory.UpdateAsync(machine, machine.Revision, actor, cancellationToken);
        }
        catch (Exception e) when (e is StorePreconditionFailedException or StoreNotFoundException)
        {
            // Its callback may just have arrived; the next pass looks again.
        }
    }

    /// <summary>Returns when a machine or rollout changed on this node, or after <see cref="Interval"/>.</summary>
    private static async Task WaitForChangeAsync(EventBus.Subscription changes, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(Interval);
        try
        {
            while (await changes.Reader.WaitToReadAsync(timeout.Token))
            {
                var relevant = false;
                while (changes.Reader.TryRead(out var change))
                {
                    relevant |= change.Kind.StartsWith("machine.", StringComparison.Ordinal) || change.Kind.StartsWith("rollout.", StringComparison.Ordinal);
                }
                if (relevant)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
        }
    }
}
