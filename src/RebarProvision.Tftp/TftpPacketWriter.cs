using System.Buffers.Binary;
using System.Text;

namespace RebarProvision.Tftp;

/// <summary>Writes TFTP packets into a caller's buffer and returns the number of bytes written.</summary>
public static class TftpPacketWriter
{
    /// <summary>Size of a DATA packet header: opcode and block number (RFC 1350 §5).</summary>
    public const int DataHeaderLength = 4;

    public static bool TryWrite(TftpPacket packet, Span<byte> destination, out int written)
    {
        written = 0;
        if (destination.Length < GetLength(packet))
        {
            return false;
        }
        written = packet switch
        {
            TftpRequest request => WriteRequest(destination, request),
            TftpData data => WriteData(destination, data.Block, data.Payload.Span),
            TftpAck ack => WriteAck(destination, ack.Block),
            TftpError error => WriteError(destination, error.Code, error.Message),
            TftpOptionAck oack => WriteOptionAck(destination, oack.Options),
            _ => throw new ArgumentOutOfRangeException(nameof(packet)),
        };
        return true;
    }

    public static int GetLength(TftpPacket packet) => packet switch
    {
        TftpRequest request => 2 + StringLength(request.Filename) + StringLength(ModeName(request.Mode)) + OptionsLength(request.Options),
        TftpData data => DataHeaderLength + data.Payload.Length,
        TftpAck => 4,
        TftpError error => 4 + StringLength(error.Message),
        TftpOptionAck oack => 2 + OptionsLength(oack.Options),
        _ => throw new ArgumentOutOfRangeException(nameof(packet)),
    };

    public static int WriteDataHeader(Span<byte> destination, ushort block)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)TftpOpcode.Data);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], block);
        return DataHeaderLength;
    }

    public static int WriteData(Span<byte> destination, ushort block, ReadOnlySpan<byte> payload)
    {
        WriteDataHeader(destination, block);
        payload.CopyTo(destination[DataHeaderLength..]);
        return DataHeaderLength + payload.Length;
    }

    public static int WriteAck(Span<byte> destination, ushort block)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)TftpOpcode.Ack);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], block);
        return 4;
    }

    public static int WriteError(Span<byte> destination, TftpErrorCode code, string message)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)TftpOpcode.Error);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)code);
        return 4 + WriteString(destination[4..], message);
    }

    public static int WriteOptionAck(Span<byte> destination, IReadOnlyList<TftpOption> options)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)TftpOpcode.OptionAck);
        return 2 + WriteOptions(destination[2..], options);
    }

    public static int WriteRequest(Span<byte> destination, TftpRequest request)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)request.Opcode);
        var length = 2 + WriteString(destination[2..], request.Filename);
        length += WriteString(destination[length..], ModeName(request.Mode));
        return length + WriteOptions(destination[length..], request.Options);
    }

    private static string ModeName(TftpMode mode) => mode switch
    {
        TftpMode.NetAscii => "netascii",
        TftpMode.Mail => "mail",
        _ => "octet",
    };

    private static int OptionsLength(IReadOnlyList<TftpOption> options) =>
        options.Sum(o => StringLength(o.Name) + StringLength(o.Value));

    private static int WriteOptions(Span<byte> destination, IReadOnlyList<TftpOption> options)
    {
        var length = 0;
        foreach (var option in options)
        {
            length += WriteString(destination[length..], option.Name);
            length += WriteString(destination[length..], option.Value);
        }
        return length;
    }

    private static int StringLength(string value) => Encoding.UTF8.GetByteCount(value) + 1;

    private static int WriteString(Span<byte> destination, string value)
    {
        var length = Encoding.UTF8.GetBytes(value, destination);
        destination[length] = 0;
        return length + 1;
    }
}
