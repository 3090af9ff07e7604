namespace RebarProvision.Server.Power;

/// <summary>The BMC refused or did not answer; the API reports it as 502 with this message.</summary>
public sealed class PowerControlException : Exception
{
    public PowerControlException(string message)
        : base(message)
    {
    }

    public PowerControlException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public PowerControlException()
    {
    }
}
