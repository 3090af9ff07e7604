namespace RebarProvision.Model;

/// <summary>How to power-cycle a machine: IPMI (ipmitool) or Redfish, with credentials held in secure params.</summary>
public sealed class PowerEndpoint
{
    /// <summary><c>ipmi</c> or <c>redfish</c>.</summary>
    public string Kind { get; set; } = "ipmi";

    public string Address { get; set; } = "";

    /// <summary>Name of the param holding the user name.</summary>
    public string UsernameParam { get; set; } = "power/username";

    /// <summary>Name of the (secure) param holding the password.</summary>
    public string PasswordParam { get; set; } = "power/password";

    public IEnumerable<FieldError> Validate(string prefix)
    {
        if (Kind is not ("ipmi" or "redfish"))
        {
            yield return new FieldError($"{prefix}.kind", "must be ipmi or redfish");
        }
        if (string.IsNullOrWhiteSpace(Address))
        {
            yield return new FieldError($"{prefix}.address", "is required");
        }
    }
}
