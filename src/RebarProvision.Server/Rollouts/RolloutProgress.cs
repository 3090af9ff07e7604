using RebarProvision.Model;

namespace RebarProvision.Server.Rollouts;

/// <summary>
/// The rolling reimage as a pure state machine over a <see cref="Rollout"/>: it reads machines, never writes them,
/// and takes the time as an argument. A machine is unavailable from the moment its slot is taken until its
/// installed callback; never more than <see cref="Rollout.MaxUnavailable"/> are, and the next starts only when
/// one finishes. <see cref="RolloutDriver"/> does the writing.
/// </summary>
public static class RolloutProgress
{
    /// <summary>
    /// Records what the machines reported, applies the failure policy, takes free slots for pending machines and
    /// ends the rollout when nothing is left to do. Changes <paramref name="rollout"/> in place.
    /// </summary>
    /// <returns>
    /// The machines whose reimage is to be written now: those whose slot was just taken, and any whose slot a node
    /// took but never wrote (it died in between).
    /// </returns>
    public static IReadOnlyList<RolloutMachine> Advance(Rollout rollout, Func<string, Machine?> machineOf, DateTimeOffset now)
    {
        foreach (var entry in rollout.Machines.Where(e => e.State == RolloutMachineState.Reimaging))
        {
            Observe(rollout, entry, machineOf(entry.Uuid), now);
        }
        if (rollout.State == RolloutState.Running && rollout.OnFailure == RolloutFailurePolicy.Stop
            && rollout.Machines.FirstOrDefault(e => e.State == RolloutMachineState.Failed) is { } failed)
        {
            End(rollout, RolloutState.Failed, $"machine {failed.Name} failed ({failed.Message}); no further machine was started", now);
        }
        if (rollout.State == RolloutState.Running)
        {
            var unavailable = rollout.Machines.Count(e => e.State == RolloutMachineState.Reimaging);
            foreach (var entry in rollout.Machines.Where(e => e.State == RolloutMachineState.Pending).Take(Math.Max(0, rollout.MaxUnavailable - unavailable)))
            {
                entry.State = RolloutMachineState.Reimaging;
                entry.StartedAt = now;
                entry.ReimagedRevision = null;
            }
            if (rollout.Machines.All(e => e.State is RolloutMachineState.Installed or RolloutMachineState.Failed))
            {
                var failures = rollout.Machines.Count(e => e.State == RolloutMachineState.Failed);
                if (failures == 0)
                {
                    End(rollout, RolloutState.Succeeded, $"all {rollout.Machines.Count} machines installed", now);
                }
                else
                {
                    End(rollout, RolloutState.Failed, $"{failures} of {rollout.Machines.Count} machines failed", now);
                }
            }
        }
        return rollout.Machines.Where(e => e.State == RolloutMachineState.Reimaging && e.ReimagedRevision is null).ToList();
    }

    /// <summary>Stops a running rollout: machines not yet started are skipped; those reimaging are still followed.</summary>
    /// <returns>False when it is not running (already finished or stopped).</returns>
    public static bool Stop(Rollout rollout, string actor, DateTimeOffset now)
    {
        if (rollout.State != RolloutState.Running)
        {
            return false;
        }
        End(rollout, RolloutState.Stopped, $"stopped by {actor}", now);
        return true;
    }

    /// <summary>Machines reimaging past the rollout's timeout whose machine is still provisioning: they count as failed.</summary>
    public static IEnumerable<RolloutMachine> Overdue(Rollout rollout, Func<string, Machine?> machineOf, DateTimeOffset now) =>
        rollout.Machines.Where(e => e.State == RolloutMachineState.Reimaging && e.ReimagedRevision is not null
            && e.StartedAt + Timeout(rollout) <= now
            && machineOf(e.Uuid)?.State == MachineState.Provisioning);

    public static TimeSpan Timeout(Rollout rollout) => TimeSpan.FromSeconds(rollout.MachineTimeoutSeconds);

    /// <summary>Whether the driver still has something to follow: it runs, or machines it started are still out.</summary>
    public static bool IsActive(Rollout rollout) =>
        rollout.State == RolloutState.Running || rollout.Machines.Any(e => e.State == RolloutMachineState.Reimaging);

    /// <summary>The meta label a rollout's reimage writes on the machine, in the same write: which rollout last reimaged it.</summary>
    public const string MetaLabel = "rollout";

    private static void Observe(Rollout rollout, RolloutMachine entry, Machine? machine, DateTimeOffset now)
    {
        if (machine is null)
        {
            Finish(entry, RolloutMachineState.Failed, "the machine was deleted", now);
            return;
        }
        if (entry.ReimagedRevision is null)
        {
            // A slot taken by a node that died before recording the reimage. The label says whether the reimage was
            // written; if so adopt it rather than reimage again (a second reimage would revoke the installer's token),
            // and whatever state the machine is in now came after it.
            if (machine.Meta.GetValueOrDefault(MetaLabel) != rollout.Id)
            {
                return;
            }
            entry.ReimagedRevision = 0;
        }
        if (machine.Revision <= entry.ReimagedRevision)
        {
            return;
        }
        switch (machine.State)
        {
            case MachineState.Provisioning:
                break;
            case MachineState.Installed:
                Finish(entry, RolloutMachineState.Installed, null, now);
                break;
            case MachineState.Failed:
                Finish(entry, RolloutMachineState.Failed, machine.StateMessage ?? "the installer reported a failure", now);
                break;
            default:
                Finish(entry, RolloutMachineState.Failed, $"the machine left provisioning: it is {machine.State.ToString().ToLowerInvariant()}", now);
                break;
        }
    }

    private static void Finish(RolloutMachine entry, RolloutMachineState state, string? message, DateTimeOffset now)
    {
        entry.State = state;
        entry.Message = message;
        entry.FinishedAt = now;
    }

    private static void End(Rollout rollout, RolloutState state, string message, DateTimeOffset now)
    {
        rollout.State = state;
        rollout.StateMessage = message;
        rollout.FinishedAt = now;
        foreach (var entry in rollout.Machines.Where(e => e.State == RolloutMachineState.Pending))
        {
            entry.State = RolloutMachineState.Skipped;
            entry.Message = $"not started: the rollout {state.ToString().ToLowerInvariant()} first";
        }
    }
}
