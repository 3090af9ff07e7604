namespace RebarProvision.Server.Power;

/// <summary>What the operator asks of a machine's BMC.</summary>
public enum PowerAction
{
    /// <summary>Hard reset (IPMI <c>chassis power cycle</c>, Redfish <c>ForceRestart</c>): what a reimage needs.</summary>
    Cycle,
    On,
    Off,
}
