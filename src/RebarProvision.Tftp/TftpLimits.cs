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
}
