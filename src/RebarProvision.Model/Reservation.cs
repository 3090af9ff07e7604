namespace RebarProvision.Model;

/// <summary>A fixed address for one MAC, with options of its own.</summary>
public sealed class Reservation : StoredObject
{
    protected override string KeyValue => Addr;

    public string Addr { get; set; } = "";

    /// <summary>The MAC address the reservation is for.</summary>
    public string Token { get; set; } = "";

    public string? Subnet { get; set; }

    public string? Description { get; set; }

    public List<DhcpOptionValue> Options { get; set; } = [];

    public string? NextServer { get; set; }

    public void Normalize()
    {
        if (HardwareAddress.TryNormalize(Token, out var mac))
        {
            Token = mac;
        }
    }

    public override IEnumerable<FieldError> Validate()
    {
        if (!Ipv4Network.TryParseAddress(Addr, out _))
        {
            yield return new FieldError("addr", $"'{Addr}' is not an IPv4 address");
        }
        if (!HardwareAddress.TryNormalize(Token, out _))
        {
            yield return new FieldError("token", $"'{Token}' is not a MAC address");
        }
        if (NextServer is not null && !Ipv4Network.TryParseAddress(NextServer, out _))
        {
            yield return new FieldError("nextServer", $"'{NextServer}' is not an IPv4 address");
        }
        for (var i = 0; i < Options.Count; i++)
        {
            foreach (var error in Options[i].Validate($"options[{i}]"))
            {
                yield return error;
            }
        }
    }

    public override IEnumerable<UniqueValue> UniqueValues()
    {
        yield return new UniqueValue("token", Token);
    }
}
