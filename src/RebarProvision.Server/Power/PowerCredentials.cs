namespace RebarProvision.Server.Power;

/// <summary>BMC credentials, opened from the machine's secure params for one call and never logged.</summary>
public sealed record PowerCredentials(string Username, string Password)
{
    /// <summary>A record prints its members; this one must not, so a stray log line cannot leak the password.</summary>
    public override string ToString() => $"PowerCredentials {{ Username = {Username}, Password = ******** }}";
}
