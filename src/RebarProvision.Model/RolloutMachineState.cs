namespace RebarProvision.Model;

/// <summary>Where one machine of a rolling reimage stands.</summary>
public enum RolloutMachineState
{
    /// <summary>Not reimaged yet; waits for a free slot under maxUnavailable.</summary>
    Pending,

    /// <summary>Reimaged and not yet installed: it counts against maxUnavailable.</summary>
    Reimaging,

    Installed,

    /// <summary>Its installer reported failed, it timed out, or it left provisioning some other way.</summary>
    Failed,

    /// <summary>Never started because the rollout failed or was stopped first.</summary>
    Skipped,
}
