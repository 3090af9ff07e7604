namespace RebarProvision.Model;

/// <summary>One machine of a rolling reimage, as the rollout saw it last.</summary>
public sealed class RolloutMachine
{
    public string Uuid { get; set; } = "";

    public string Name { get; set; } = "";

    public RolloutMachineState State { get; set; } = RolloutMachineState.Pending;

    /// <summary>Why it failed or was skipped, in the operator's words.</summary>
    public string? Message { get; set; }

    /// <summary>When the rollout took a slot for it; its timeout counts from here.</summary>
    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>
    /// The machine's revision as the reimage stored it: only a later revision can carry its installed or failed
    /// callback. Null while the slot is taken but the reimage not yet recorded (a node that died in between leaves
    /// this for the next node: it adopts the reimage, as 0, when the machine carries the rollout's label, and
    /// reimages the machine otherwise).
    /// </summary>
    public long? ReimagedRevision { get; set; }
}
