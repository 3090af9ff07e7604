namespace RebarProvision.Dhcp;

/// <summary>One option as it is after parsing: its code and its value, with RFC 3396 split entries concatenated.</summary>
public readonly record struct DhcpOption(byte Code, byte[] Value);
