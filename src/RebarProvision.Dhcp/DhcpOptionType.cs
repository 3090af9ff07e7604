namespace RebarProvision.Dhcp;

/// <summary>How an option's bytes read as text (and how operator-written text becomes bytes).</summary>
public enum DhcpOptionType
{
    /// <summary>Hex pairs, e.g. <c>01:52:54:00:12:34:56</c>.</summary>
    Bytes,
    Address,
    AddressList,
    Byte,
    ByteList,
    UInt16,
    UInt16List,
    UInt32,
    Text,

    /// <summary>RFC 3397 / RFC 1035 §4.1.4 names, written as a comma list.</summary>
    DomainList,

    /// <summary>RFC 3442 routes, written as <c>10.0.0.0/8 10.0.0.1, 0.0.0.0/0 10.0.0.254</c>.</summary>
    ClasslessRoutes,
}
