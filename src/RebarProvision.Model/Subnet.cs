namespace RebarProvision.Model;

/// <summary>
/// A network the DHCP service answers for: its CIDR, the active range handed out, lease times, options, and how
/// free addresses are picked. <see cref="Proxy"/> subnets answer only PXE (proxyDHCP); <see cref="Unmanaged"/>
/// ones answer PXE but never hand out addresses.
/// </summary>
public sealed class Subnet : StoredObject
{
    public static readonly string[] KnownPickers = ["hint", "nextFree", "mostExpired"];

    protected override string KeyValue => Name;

    public string Name { get; set; } = "";

    public string? Description { get; set; }

    public string Cidr { get; set; } = "";

    public string ActiveStart { get; set; } = "";

    public string ActiveEnd { get; set; } = "";

    /// <summary>Seconds a dynamic lease lasts.</summary>
    public int LeaseTime { get; set; } = 3600;

    /// <summary>Seconds a lease on a reserved address lasts.</summary>
    public int ReservedLeaseTime { get; set; } = 7200;

    public List<DhcpOptionValue> Options { get; set; } = [];

    public string? NextServer { get; set; }

    public List<string> Pickers { get; set; } = ["hint", "nextFree", "mostExpired"];

    /// <summary>
    /// DHCP relay addresses (giaddr) this subnet answers through. Empty: relays whose giaddr lies inside this subnet,
    /// the usual router-interface relay. Requests from any other relay are dropped and counted (outcome
    /// unknown-relay): the reply would go to whatever address a stranger names as relay.
    /// </summary>
    public List<string> Relays { get; set; } = [];

    public bool Proxy { get; set; }

    public bool Unmanaged { get; set; }

    public bool Enabled { get; set; } = true;

    public override IEnumerable<FieldError> Validate()
    {
        foreach (var error in Names.Check("name", Name))
        {
            yield return error;
        }
        // A bad CIDR still lets every other field be checked: the caller hears of all its mistakes at once.
        var cidrOk = Ipv4Network.TryParse(Cidr, out var network);
        if (!cidrOk)
        {
            yield return new FieldError("cidr", $"'{Cidr}' is not an IPv4 CIDR such as 10.0.0.0/24");
        }
        var needsRange = !Proxy && !Unmanaged;
        var startOk = Ipv4Network.TryParseAddress(ActiveStart, out var start);
        var endOk = Ipv4Network.TryParseAddress(ActiveEnd, out var end);
        if (needsRange || ActiveStart.Length > 0)
        {
            if (!startOk)
            {
                yield return new FieldError("activeStart", $"'{ActiveStart}' is not an IPv4 address");
            }
            else if (cidrOk && !network.Contains(start))
            {
                yield return new FieldError("activeStart", $"{ActiveStart} is outside {Cidr}");
            }
        }
        if (needsRange || ActiveEnd.Length > 0)
        {
            if (!endOk)
            {
                yield return new FieldError("activeEnd", $"'{ActiveEnd}' is not an IPv4 address");
            }
            else if (cidrOk && !network.Contains(end))
            {
                yield return new FieldError("activeEnd", $"{ActiveEnd} is outside {Cidr}");
            }
        }
        if (startOk && endOk && end < start)
        {
            yield return new FieldError("activeEnd", "comes before activeStart");
        }
        if (LeaseTime < 60)
        {
            yield return new FieldError("leaseTime", "must be at least 60 seconds");
        }
        if (ReservedLeaseTime < 60)
        {
            yield return new FieldError("reservedLeaseTime", "must be at least 60 seconds");
        }
        if (NextServer is not null && !Ipv4Network.TryParseAddress(NextServer, out _))
        {
            yield return new FieldError("nextServer", $"'{NextServer}' is not an IPv4 address");
        }
        for (var i = 0; i < Relays.Count; i++)
        {
            if (!Ipv4Network.TryParseAddress(Relays[i], out _))
            {
                yield return new FieldError($"relays[{i}]", $"'{Relays[i]}' is not an IPv4 address");
            }
        }
        for (var i = 0; i < Pickers.Count; i++)
        {
            if (!KnownPickers.Contains(Pickers[i]))
            {
                yield return new FieldError($"pickers[{i}]", $"must be one of {string.Join(", ", KnownPickers)}");
            }
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
        yield return new UniqueValue("cidr", Ipv4Network.TryParse(Cidr, out var n) ? n.ToString() : Cidr);
    }
}
