namespace RebarProvision.Tftp;

/// <summary>The two-byte opcode that starts every TFTP packet (RFC 1350 §5, RFC 2347 for OACK).</summary>
public enum TftpOpcode : ushort
{
    ReadRequest = 1,
    WriteRequest = 2,
    Data = 3,
    Ack = 4,
    Error = 5,
    OptionAck = 6,
}
