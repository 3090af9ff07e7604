namespace RebarProvision.Tftp;

/// <summary>What the server allows a client to negotiate; larger requests are clamped (RFC 2348 §2, RFC 7440 §3).</summary>
public sealed record TftpLimits
{
    /// <summary>RFC 2348: blksize is 8..65464 (65464 + IP/UDP/TFTP headers fits a 64 KiB datagram).</summary>
    public const int MinBlockSize = 8;

    public const int MaxBlockSizeAllowed = 65464;

    public int MaxBlockSize { get; init; } = MaxBlockSizeAllowed;

    public int MaxWindowSize { get; init; } = 64;

    /// <summary>Retransmission timeout when the client does not negotiate one.</summary>
    public TimeSpan DefaultTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest timeout a client may negotiate (RFC 2349 allows 255 s); a longer one is left out of the OACK and the
    /// default applies, since the OACK must echo the client's value or omit it.
    /// </summary>
    public TimeSpan MaxTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Without progress for this long a transfer ends, whatever its timeout and retries.</summary>
    public TimeSpan MaxSilence { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// netascii changes the length (RFC 1350 §1: LF becomes CR LF), so the file is converted in memory before the
    /// transfer; larger files are refused in that mode (boot loaders ask for octet).
    /// </summary>
    public int MaxNetAsciiFileSize { get; init; } = 64 * 1024;
}
