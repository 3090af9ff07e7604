using System.Buffers.Binary;
using System.Text;

namespace RebarProvision.Tftp;

/// <summary>Parses datagrams into <see cref="TftpPacket"/>s. Total: any bytes yield a packet or a reason.</summary>
public static class TftpPacketReader
{
    public static bool TryParse(ReadOnlySpan<byte> datagram, out TftpPacket packet, out TftpParseError error)
    {
        packet = null!;
        error = TftpParseError.None;
        if (datagram.Length < 2)
        {
            error = TftpParseError.TooShort;
            return false;
        }
        var body = datagram[2..];
        switch ((TftpOpcode)BinaryPrimitives.ReadUInt16BigEndian(datagram))
        {
            case TftpOpcode.ReadRequest:
                return TryParseRequest(isWrite: false, body, out packet, out error);
            case TftpOpcode.WriteRequest:
                return TryParseRequest(isWrite: true, body, out packet, out error);
            case TftpOpcode.Data when body.Length >= 2:
                packet = new TftpData(BinaryPrimitives.ReadUInt16BigEndian(body), body[2..].ToArray());
                return true;
            case TftpOpcode.Ack when body.Length >= 2:
                // Some clients pad ACKs; trailing bytes are ignored as tftp-hpa does.
                packet = new TftpAck(BinaryPrimitives.ReadUInt16BigEndian(body));
                return true;
            case TftpOpcode.Error when body.Length >= 2:
                // A missing NUL after the message is tolerated: the message runs to the end of the datagram.
                var message = body[2..];
                var end = message.IndexOf((byte)0);
                packet = new TftpError((TftpErrorCode)BinaryPrimitives.ReadUInt16BigEndian(body), Decode(end < 0 ? message : message[..end]));
                return true;
            case TftpOpcode.OptionAck:
                if (!TryReadOptions(body, out var options, out error))
                {
                    return false;
                }
                packet = new TftpOptionAck(options);
                return true;
            case TftpOpcode.Data or TftpOpcode.Ack or TftpOpcode.Error:
                error = TftpParseError.TooShort;
                return false;
            default:
                error = TftpParseError.UnknownOpcode;
                return false;
        }
    }

    /// <summary>The hot path of a transfer: reads an ACK's block number without allocating.</summary>
    public static bool TryReadAck(ReadOnlySpan<byte> datagram, out ushort block)
    {
        block = 0;
        if (datagram.Length < 4 || BinaryPrimitives.ReadUInt16BigEndian(datagram) != (ushort)TftpOpcode.Ack)
        {
            return false;
        }
        block = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        return true;
    }

    private static bool TryParseRequest(bool isWrite, ReadOnlySpan<byte> body, out TftpPacket packet, out TftpParseError error)
    {
        packet = null!;
        if (!TryReadString(ref body, out var filename, out error))
        {
            return false;
        }
        if (filename.Length == 0)
        {
            error = TftpParseError.EmptyFilename;
            return false;
        }
        if (!TryReadString(ref body, out var modeName, out error))
        {
            return false;
        }
        TftpMode mode;
        if (modeName.Equals("octet", StringComparison.OrdinalIgnoreCase))
        {
            mode = TftpMode.Octet;
        }
        else if (modeName.Equals("netascii", StringComparison.OrdinalIgnoreCase))
        {
            mode = TftpMode.NetAscii;
        }
        else if (modeName.Equals("mail", StringComparison.OrdinalIgnoreCase))
        {
            mode = TftpMode.Mail;
        }
        else
        {
            error = TftpParseError.UnknownMode;
            return false;
        }
        if (!TryReadOptions(body, out var options, out error))
        {
            return false;
        }
        packet = new TftpRequest(isWrite, filename, mode, options);
        return true;
    }

    private static bool TryReadOptions(ReadOnlySpan<byte> body, out IReadOnlyList<TftpOption> options, out TftpParseError error)
    {
        var list = new List<TftpOption>();
        options = list;
        error = TftpParseError.None;
        while (!body.IsEmpty)
        {
            // RFC 2347 §2: options follow the mode; some clients pad with NULs, which we skip.
            if (body[0] == 0)
            {
                body = body[1..];
                continue;
            }
            if (!TryReadString(ref body, out var name, out error))
            {
                return false;
            }
            if (body.IsEmpty)
            {
                error = TftpParseError.OptionWithoutValue;
                return false;
            }
            if (!TryReadString(ref body, out var value, out error))
            {
                return false;
            }
            list.Add(new TftpOption(name, value));
        }
        return true;
    }

    private static bool TryReadString(ref ReadOnlySpan<byte> body, out string value, out TftpParseError error)
    {
        var end = body.IndexOf((byte)0);
        if (end < 0)
        {
            value = "";
            error = TftpParseError.UnterminatedString;
            return false;
        }
        value = Decode(body[..end]);
        body = body[(end + 1)..];
        error = TftpParseError.None;
        return true;
    }

    private static string Decode(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
