namespace RebarProvision.Tftp;

/// <summary>A parsed TFTP packet; see <see cref="TftpPacketReader"/> and <see cref="TftpPacketWriter"/>.</summary>
public abstract record TftpPacket
{
    private protected TftpPacket()
    {
    }

    public abstract TftpOpcode Opcode { get; }
}
