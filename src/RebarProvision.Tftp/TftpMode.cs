namespace RebarProvision.Tftp;

/// <summary>The transfer mode named in a request (RFC 1350 §1); "mail" is obsolete and refused by the server.</summary>
public enum TftpMode
{
    Octet,
    NetAscii,
    Mail,
}
