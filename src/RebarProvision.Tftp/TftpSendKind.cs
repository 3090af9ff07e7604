namespace RebarProvision.Tftp;

public enum TftpSendKind
{
    Nothing,
    OptionAck,
    Blocks,
}
