namespace RebarProvision.Tftp;

/// <summary>OACK: the options the server accepted, with the values it will use (RFC 2347).</summary>
public sealed record TftpOptionAck(IReadOnlyList<TftpOption> Options) : TftpPacket
{
    public override TftpOpcode Opcode => TftpOpcode.OptionAck;

    public bool Equals(TftpOptionAck? other) => other is not null && Options.SequenceEqual(other.Options);

    public override int GetHashCode() => Options.Count;
}
