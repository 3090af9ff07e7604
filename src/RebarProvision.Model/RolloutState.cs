namespace RebarProvision.Model;

/// <summary>Where a rolling reimage stands as a whole.</summary>
public enum RolloutState
{
    /// <summary>Machines are still to be reimaged or being reimaged.</summary>
    Running,

    /// <summary>Every machine reported installed.</summary>
    Succeeded,

    /// <summary>A machine failed (the rollout stopped there, or it continued and finished with failures).</summary>
    Failed,

    /// <summary>An operator stopped it; machines not yet started were skipped.</summary>
    Stopped,
}
