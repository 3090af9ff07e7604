namespace RebarProvision.Tftp;

/// <summary>
/// What a <see cref="TftpTransfer"/> asks its transport to send now: nothing, the OACK, or the DATA blocks
/// <see cref="FirstBlock"/> .. <see cref="FirstBlock"/> + <see cref="Count"/> - 1 (absolute numbers, from 1).
/// </summary>
public readonly record struct TftpSend(TftpSendKind Kind, long FirstBlock, int Count, bool IsRetransmit)
{
    public static readonly TftpSend Nothing = new(TftpSendKind.Nothing, 0, 0, false);
}
