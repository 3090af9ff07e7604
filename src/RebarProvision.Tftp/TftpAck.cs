namespace RebarProvision.Tftp;

/// <summary>ACK of a block; ACK 0 answers an OACK (RFC 2347).</summary>
public sealed record TftpAck(ushort Block) : TftpPacket
{
    public override TftpOpcode Opcode => TftpOpcode.Ack;
}
