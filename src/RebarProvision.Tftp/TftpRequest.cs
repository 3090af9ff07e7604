namespace RebarProvision.Tftp;

/// <summary>RRQ or WRQ: filename, mode and the options the client asks for (RFC 1350 §5, RFC 2347).</summary>
public sealed record TftpRequest(bool IsWrite, string Filename, TftpMode Mode, IReadOnlyList<TftpOption> Options) : TftpPacket
{
    public override TftpOpcode Opcode => IsWrite ? TftpOpcode.WriteRequest : TftpOpcode.ReadRequest;

    public bool Equals(TftpRequest? other) =>
        other is not null && IsWrite == other.IsWrite && Filename == other.Filename && Mode == other.Mode && Options.SequenceEqual(other.Options);

    public override int GetHashCode() => HashCode.Combine(IsWrite, Filename, Mode, Options.Count);
}
