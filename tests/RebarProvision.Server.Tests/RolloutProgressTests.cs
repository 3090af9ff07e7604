using RebarProvision.Model;
using RebarProvision.Server.Rollouts;

namespace RebarProvision.Server.Tests;

/// <summary>The rollout's state machine alone, for the cases a live test cannot time: a node dying mid-slot.</summary>
public sealed class RolloutProgressTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 16, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_slot_whose_reimage_a_dead_node_wrote_but_never_recorded_is_adopted_and_not_reimaged_again()
    {
        var (rollout, machine) = SlotTakenButUnrecorded();
        machine.Meta[RolloutProgress.MetaLabel] = rollout.Id;
        // The installer answered before the next node looked.
        machine.State = MachineState.Installed;

        var toReimage = RolloutProgress.Advance(rollout, _ => machine, Now);

        Assert.Empty(toReimage);
        Assert.Equal(RolloutMachineState.Installed, rollout.Machines[0].State);
        Assert.Equal(RolloutState.Succeeded, rollout.State);
    }

    [Fact]
    public void A_slot_whose_reimage_was_never_written_is_reimaged_by_the_next_node()
    {
        var (rollout, machine) = SlotTakenButUnrecorded();
        machine.Meta[RolloutProgress.MetaLabel] = "an-earlier-rollout";

        var toReimage = RolloutProgress.Advance(rollout, _ => machine, Now);

        Assert.Equal("m1", Assert.Single(toReimage).Name);
        Assert.Equal(RolloutMachineState.Reimaging, rollout.Machines[0].State);
        Assert.Equal(RolloutState.Running, rollout.State);
    }

    [Fact]
    public void An_installed_state_older_than_the_reimage_is_not_taken_for_its_outcome()
    {
        var (rollout, machine) = SlotTakenButUnrecorded();
        rollout.Machines[0].ReimagedRevision = machine.Revision;
        machine.State = MachineState.Installed;

        Assert.Empty(RolloutProgress.Advance(rollout, _ => machine, Now));
        Assert.Equal(RolloutMachineState.Reimaging, rollout.Machines[0].State);
    }

    private static (Rollout, Machine) SlotTakenButUnrecorded()
    {
        var machine = new Machine { Uuid = Guid.NewGuid().ToString(), Name = "m1", State = MachineState.Provisioning, Revision = 41 };
        var rollout = new Rollout
        {
            Id = "r1",
            BootEnv = "installer",
            MachineTimeoutSeconds = 3600,
            Machines = [new RolloutMachine { Uuid = machine.Uuid, Name = "m1", State = RolloutMachineState.Reimaging, StartedAt = Now.AddSeconds(-5) }],
        };
        return (rollout, machine);
    }
}
