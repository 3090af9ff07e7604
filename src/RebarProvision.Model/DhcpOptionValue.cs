namespace RebarProvision.Model;

/// <summary>A DHCP option to send: its code and a value, which may be a Scriban template (e.g. <c>{{subnet.router}}</c>).</summary>
public sealed class DhcpOptionValue
{
    public int Code { get; set; }

    public string Value { get; set; } = "";

    public IEnumerable<FieldError> Validate(string prefix)
    {
        if (Code is < 1 or > 254)
        {
            yield return new FieldError($"{prefix}.code", "must be between 1 and 254");
        }
    }
}
