namespace RebarProvision.Model;

/// <summary>What a rolling reimage does when one of its machines fails.</summary>
public enum RolloutFailurePolicy
{
    /// <summary>Start no further machine; the rollout fails (machines already reimaging are still followed).</summary>
    Stop,

    /// <summary>Go on with the others; the rollout ends failed if any machine failed.</summary>
    Continue,
}
