namespace RebarProvision.Dhcp;

/// <summary>Why a datagram is not a DHCP message.</summary>
public enum DhcpParseError
{
    None,

    /// <summary>Shorter than the 236-byte BOOTP header plus the 4-byte magic cookie.</summary>
    TooShort,

    /// <summary>The op field is neither BOOTREQUEST nor BOOTREPLY.</summary>
    BadOperation,

    /// <summary>hlen is larger than the 16-byte chaddr field.</summary>
    BadHardwareLength,

    /// <summary>No 99.130.83.99 cookie: plain BOOTP, which we do not serve.</summary>
    MissingMagicCookie,

    /// <summary>An option's length runs past the end of its field.</summary>
    TruncatedOption,

    /// <summary>Option 52 does not hold exactly one byte of 1, 2 or 3.</summary>
    BadOverload,
}
