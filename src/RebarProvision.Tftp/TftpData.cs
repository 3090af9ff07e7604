namespace RebarProvision.Tftp;

/// <summary>DATA: a block number and up to blksize bytes; a shorter block ends the transfer (RFC 1350 §6).</summary>
public sealed record TftpData(ushort Block, ReadOnlyMemory<byte> Payload) : TftpPacket
{
    public override TftpOpcode Opcode => TftpOpcode.Data;

    public bool Equals(TftpData? other) => other is not null && Block == other.Block && Payload.Span.SequenceEqual(other.Payload.Span);

    public override int GetHashCode() => HashCode.Combine(Block, Payload.Length);
}
