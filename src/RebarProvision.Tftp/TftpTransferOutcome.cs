namespace RebarProvision.Tftp;

/// <summary>How a transfer ended; the metric tag <c>outcome</c> uses the lower-case names.</summary>
public enum TftpTransferOutcome
{
    InProgress,
    Completed,
    TimedOut,
    ClientError,

    /// <summary>The client never acknowledged anything and resending would exceed what its request cost it.</summary>
    Unanswered,
}
