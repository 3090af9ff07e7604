namespace RebarProvision.Tftp;

/// <summary>ERROR: a code and a human-readable message; it ends the transfer (RFC 1350 §5).</summary>
public sealed record TftpError(TftpErrorCode Code, string Message) : TftpPacket
{
    public override TftpOpcode Opcode => TftpOpcode.Error;
}
