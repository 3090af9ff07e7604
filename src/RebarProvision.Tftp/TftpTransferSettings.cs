namespace RebarProvision.Tftp;

/// <summary>What a transfer runs with once options are negotiated: RFC 2348 blksize, RFC 7440 windowsize, RFC 2349 timeout.</summary>
public sealed record TftpTransferSettings(int BlockSize, int WindowSize, TimeSpan Timeout)
{
    /// <summary>RFC 1350 §2: 512-byte blocks, one block per ACK.</summary>
    public const int DefaultBlockSize = 512;

    public static TftpTransferSettings Default(TimeSpan timeout) => new(DefaultBlockSize, 1, timeout);
}
