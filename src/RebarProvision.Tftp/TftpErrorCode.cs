namespace RebarProvision.Tftp;

/// <summary>Error codes of the ERROR packet (RFC 1350 appendix, RFC 2347 for 8).</summary>
public enum TftpErrorCode : ushort
{
    NotDefined = 0,
    FileNotFound = 1,
    AccessViolation = 2,
    DiskFull = 3,
    IllegalOperation = 4,
    UnknownTransferId = 5,
    FileAlreadyExists = 6,
    NoSuchUser = 7,
    OptionNegotiationRefused = 8,
}
