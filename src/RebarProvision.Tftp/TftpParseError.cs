namespace RebarProvision.Tftp;

/// <summary>Why a datagram is not a TFTP packet; the server drops it and counts the reason.</summary>
public enum TftpParseError
{
    None,
    TooShort,
    UnknownOpcode,
    UnterminatedString,
    EmptyFilename,
    UnknownMode,
    OptionWithoutValue,
    EmptyOptionName,
}
