namespace RebarProvision.Model;

/// <summary>
/// A rolling reimage of a set of machines: at most <see cref="MaxUnavailable"/> of them are out of installed at
/// once, the next starting only when one finishes. Stored like any object so every node (and a restarted one) sees
/// it; one node at a time drives it.
/// </summary>
public sealed class Rollout : StoredObject
{
    protected override string KeyValue => Id;

    public string Id { get; set; } = "";

    public RolloutSelector Selector { get; set; } = new();

    /// <summary>The bootenv each machine is reimaged to.</summary>
    public string BootEnv { get; set; } = "";

    /// <summary>When set, each machine's profiles are replaced by these, as a single reimage does.</summary>
    public List<string>? Profiles { get; set; }

    /// <summary>Power-cycle each machine through its BMC when its turn comes.</summary>
    public bool Power { get; set; }

    public int MaxUnavailable { get; set; } = 1;

    public RolloutFailurePolicy OnFailure { get; set; } = RolloutFailurePolicy.Stop;

    /// <summary>A machine not installed this many seconds after its reimage counts as failed.</summary>
    public int MachineTimeoutSeconds { get; set; }

    public RolloutState State { get; set; } = RolloutState.Running;

    public string? StateMessage { get; set; }

    /// <summary>Who started it.</summary>
    public string? StartedBy { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>In the order they are reimaged.</summary>
    public List<RolloutMachine> Machines { get; set; } = [];

    public override IEnumerable<FieldError> Validate()
    {
        foreach (var error in Names.Check("id", Id))
        {
            yield return error;
        }
        foreach (var error in Names.Check("bootEnv", BootEnv))
        {
            yield return error;
        }
        if (MaxUnavailable < 1)
        {
            yield return new FieldError("maxUnavailable", "must be at least 1");
        }
        if (MachineTimeoutSeconds < 1)
        {
            yield return new FieldError("machineTimeoutSeconds", "must be at least 1");
        }
        if (Machines.Count == 0)
        {
            yield return new FieldError("machines", "must name at least one machine");
        }
    }
}
