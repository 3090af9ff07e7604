namespace RebarProvision.Tftp;

/// <summary>One name/value pair of a request or OACK (RFC 2347); names compare case-insensitively.</summary>
public readonly record struct TftpOption(string Name, string Value)
{
    public bool Is(string name) => string.Equals(Name, name, StringComparison.OrdinalIgnoreCase);
}
