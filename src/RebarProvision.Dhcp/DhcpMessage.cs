using System.Buffers.Binary;
using System.Text;

namespace RebarProvision.Dhcp;

/// <summary>
/// A DHCPv4 message (RFC 2131 §2). Addresses are host-order integers. Parsing is total (any bytes give a message or a
/// reason); writing goes into the caller's span.
/// </summary>
public sealed class DhcpMessage
{
    /// <summary>op .. file: the fixed BOOTP part (RFC 951), before the magic cookie.</summary>
    public const int HeaderLength = 236;

    /// <summary>Header plus the 99.130.83.99 cookie: where the options field starts.</summary>
    public const int OptionsOffset = 240;

    /// <summary>RFC 1542 §3.3: BOOTP relays and old clients expect at least 300 bytes.</summary>
    public const int MinimumLength = 300;

    /// <summary>RFC 2131 §2: every client accepts 576-byte IP datagrams; minus 20 (IP) + 8 (UDP).</summary>
    public const int DefaultMaxLength = 576 - 28;

    public const uint MagicCookie = 0x63825363;

    private const int SnameOffset = 44;
    private const int SnameLength = 64;
    private const int FileOffset = 108;
    private const int FileLength = 128;

    public DhcpOperation Operation { get; set; } = DhcpOperation.BootRequest;

    public byte HardwareType { get; set; } = 1;

    public byte HardwareLength { get; set; } = 6;

    public byte Hops { get; set; }

    public uint TransactionId { get; set; }

    public ushort Seconds { get; set; }

    public ushort Flags { get; set; }

    /// <summary>RFC 2131 §2 figure 2: the leftmost bit of flags.</summary>
    public bool Broadcast
    {
        get => (Flags & 0x8000) != 0;
        set => Flags = (ushort)(value ? Flags | 0x8000 : Flags & 0x7fff);
    }

    /// <summary>ciaddr.</summary>
    public uint ClientAddress { get; set; }

    /// <summary>yiaddr.</summary>
    public uint YourAddress { get; set; }

    /// <summary>siaddr: the next server (TFTP) in replies.</summary>
    public uint NextServerAddress { get; set; }

    /// <summary>giaddr: the relay agent's address.</summary>
    public uint RelayAddress { get; set; }

    /// <summary>chaddr, always 16 bytes; the first <see cref="HardwareLength"/> are the hardware address.</summary>
    public byte[] ClientHardwareAddress { get; set; } = new byte[16];

    /// <summary>sname, up to 63 characters (empty when the field carried options).</summary>
    public string ServerName { get; set; } = "";

    /// <summary>file, up to 127 characters (empty when the field carried options).</summary>
    public string BootFileName { get; set; } = "";

    public DhcpOptions Options { get; set; } = new();

    public DhcpMessageType MessageType => Options.MessageType;

    /// <summary>The hardware address as lower-case hex pairs joined by colons.</summary>
    /// <remarks>
    /// Formatted once per message and kept (answering one request reads it several times), and again only if the
    /// address, its length or its bytes changed since.
    /// </remarks>
    public string ClientMac
    {
        get
        {
            var bytes = ClientHardwareAddress.AsSpan(0, Math.Min(Math.Min((int)HardwareLength, 16), ClientHardwareAddress.Length));
            Span<byte> seen = stackalloc byte[16];
            BinaryPrimitives.WriteUInt64LittleEndian(seen, _clientMacLow);
            BinaryPrimitives.WriteUInt64LittleEndian(seen[8..], _clientMacHigh);
            if (_clientMac is null || !bytes.SequenceEqual(seen[.._clientMacLength]))
            {
                _clientMac = FormatHex(bytes);
                seen.Clear();
                bytes.CopyTo(seen);
                (_clientMacLow, _clientMacHigh, _clientMacLength) = (BinaryPrimitives.ReadUInt64LittleEndian(seen), BinaryPrimitives.ReadUInt64LittleEndian(seen[8..]), bytes.Length);
            }
            return _clientMac;
        }
    }

    // The bytes the kept ClientMac was formatted from, held in fields rather than an array of their own.
    private string? _clientMac;
    private ulong _clientMacLow;
    private ulong _clientMacHigh;
    private int _clientMacLength;

    public static bool TryParse(ReadOnlySpan<byte> data, out DhcpMessage message, out DhcpParseError error)
    {
        message = new DhcpMessage();
        if (data.Length < OptionsOffset)
        {
            error = DhcpParseError.TooShort;
            return false;
        }
        if (data[0] is not (1 or 2))
        {
            error = DhcpParseError.BadOperation;
            return false;
        }
        if (data[2] > 16)
        {
            error = DhcpParseError.BadHardwareLength;
            return false;
        }
        if (BinaryPrimitives.ReadUInt32BigEndian(data[HeaderLength..]) != MagicCookie)
        {
            error = DhcpParseError.MissingMagicCookie;
            return false;
        }
        message.Operation = (DhcpOperation)data[0];
        message.HardwareType = data[1];
        message.HardwareLength = data[2];
        message.Hops = data[3];
        message.TransactionId = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
        message.Seconds = BinaryPrimitives.ReadUInt16BigEndian(data[8..]);
        message.Flags = BinaryPrimitives.ReadUInt16BigEndian(data[10..]);
        message.ClientAddress = BinaryPrimitives.ReadUInt32BigEndian(data[12..]);
        message.YourAddress = BinaryPrimitives.ReadUInt32BigEndian(data[16..]);
        message.NextServerAddress = BinaryPrimitives.ReadUInt32BigEndian(data[20..]);
        message.RelayAddress = BinaryPrimitives.ReadUInt32BigEndian(data[24..]);
        message.ClientHardwareAddress = data.Slice(28, 16).ToArray();

        var options = message.Options;
        byte overload = 0;
        error = ReadOptionField(data[OptionsOffset..], options, mainField: true, ref overload);
        if (error != DhcpParseError.None)
        {
            return false;
        }
        // RFC 3396 §5 / RFC 2131 §4.1: options continue in file, then in sname, when option 52 says so.
        var sname = data.Slice(SnameOffset, SnameLength);
        var file = data.Slice(FileOffset, FileLength);
        if ((overload & 1) != 0)
        {
            error = ReadOptionField(file, options, mainField: false, ref overload);
        }
        else
        {
            message.BootFileName = ReadCString(file);
        }
        if (error == DhcpParseError.None && (overload & 2) != 0)
        {
            error = ReadOptionField(sname, options, mainField: false, ref overload);
        }
        else
        {
            message.ServerName = ReadCString(sname);
        }
        return error == DhcpParseError.None;
    }

    private static DhcpParseError ReadOptionField(ReadOnlySpan<byte> field, DhcpOptions options, bool mainField, ref byte overload)
    {
        var i = 0;
        while (i < field.Length)
        {
            var code = field[i++];
            if (code == DhcpOptionCode.Pad)
            {
                continue;
            }
            if (code == DhcpOptionCode.End)
            {
                break;
            }
            if (i >= field.Length || i + 1 + field[i] > field.Length)
            {
                return DhcpParseError.TruncatedOption;
            }
            var value = field.Slice(i + 1, field[i]);
            i += 1 + field[i];
            if (code == DhcpOptionCode.Overload)
            {
                // RFC 2131 §4.1: option 52 is only meaningful in the options field itself.
                if (!mainField)
                {
                    continue;
                }
                if (value is not [>= 1 and <= 3] || overload != 0)
                {
                    return DhcpParseError.BadOverload;
                }
                overload = value[0];
                continue;
            }
            options.Append(code, value);
        }
        // A missing End option is tolerated: several firmwares stop at the end of the datagram.
        return DhcpParseError.None;
    }

    /// <summary>
    /// Writes the message into <paramref name="destination"/>, at most <paramref name="maxLength"/> bytes (the DHCP
    /// payload: the client's option 57 minus the IP and UDP headers; see <see cref="MaxReplyLength"/>). Options that
    /// do not fit the options field go into file and then sname (option 52) when those are empty; values longer than
    /// 255 bytes are split into several entries (RFC 3396). The result is padded to 300 bytes (RFC 1542).
    /// </summary>
    /// <returns>False when the options cannot fit in the allowed length.</returns>
    public bool TryWrite(Span<byte> destination, int maxLength, out int written)
    {
        written = 0;
        var limit = Math.Min(destination.Length, maxLength);
        if (limit < OptionsOffset + 1)
        {
            return false;
        }
        var header = destination[..OptionsOffset];
        header.Clear();
        header[0] = (byte)Operation;
        header[1] = HardwareType;
        header[2] = HardwareLength;
        header[3] = Hops;
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], TransactionId);
        BinaryPrimitives.WriteUInt16BigEndian(header[8..], Seconds);
        BinaryPrimitives.WriteUInt16BigEndian(header[10..], Flags);
        BinaryPrimitives.WriteUInt32BigEndian(header[12..], ClientAddress);
        BinaryPrimitives.WriteUInt32BigEndian(header[16..], YourAddress);
        BinaryPrimitives.WriteUInt32BigEndian(header[20..], NextServerAddress);
        BinaryPrimitives.WriteUInt32BigEndian(header[24..], RelayAddress);
        ClientHardwareAddress.AsSpan(0, Math.Min(16, ClientHardwareAddress.Length)).CopyTo(header[28..44]);
        if (!TryWriteCString(ServerName, header.Slice(SnameOffset, SnameLength)) ||
            !TryWriteCString(BootFileName, header.Slice(FileOffset, FileLength)))
        {
            return false;
        }
        BinaryPrimitives.WriteUInt32BigEndian(header[HeaderLength..], MagicCookie);

        // First try the plain layout: everything in the options field.
        var main = destination[OptionsOffset..limit];
        var position = 0;
        var item = 0;
        var offset = 0;
        if (FillField(main, ref position, ref item, ref offset, reserve: 1))
        {
            main[position++] = DhcpOptionCode.End;
            written = Pad(destination, OptionsOffset + position, limit);
            return true;
        }

        // Overload: option 52 goes first, then the options field, file and sname are filled in that order.
        byte overload = 0;
        var fileFree = BootFileName.Length == 0;
        var snameFree = ServerName.Length == 0;
        if (!fileFree && !snameFree)
        {
            return false;
        }
        position = 3;
        item = 0;
        offset = 0;
        var done = FillField(main, ref position, ref item, ref offset, reserve: 1);
        main[position++] = DhcpOptionCode.End;
        // RFC 2131 §4.1: file first (overload bit 1), then sname (bit 2).
        if (!done && fileFree)
        {
            overload |= 1;
            done = FillOverloadField(destination.Slice(FileOffset, FileLength), ref item, ref offset);
        }
        if (!done && snameFree)
        {
            overload |= 2;
            done = FillOverloadField(destination.Slice(SnameOffset, SnameLength), ref item, ref offset);
        }
        if (!done)
        {
            return false;
        }
        main[0] = DhcpOptionCode.Overload;
        main[1] = 1;
        main[2] = overload;
        written = Pad(destination, OptionsOffset + position, limit);
        return true;
    }

    /// <summary>
    /// Writes option entries from (<paramref name="item"/>, <paramref name="offset"/>) on while they fit, keeping
    /// <paramref name="reserve"/> bytes for End. An option longer than 255 bytes, or one that does not fit the rest
    /// of a field, continues as a further entry of the same code in the next field (RFC 3396 §6).
    /// </summary>
    private bool FillField(Span<byte> field, ref int position, ref int item, ref int offset, int reserve)
    {
        var items = Options.Items;
        while (item < items.Count)
        {
            var option = items[item];
            if (option.Code is DhcpOptionCode.Pad or DhcpOptionCode.End or DhcpOptionCode.Overload)
            {
                item++;
                continue;
            }
            var remaining = option.Value.Length - offset;
            var room = field.Length - position - reserve - 2;
            if (room < 0 || (room == 0 && remaining > 0))
            {
                return false;
            }
            var chunk = Math.Min(Math.Min(remaining, 255), room);
            field[position] = option.Code;
            field[position + 1] = (byte)chunk;
            option.Value.AsSpan(offset, chunk).CopyTo(field[(position + 2)..]);
            position += 2 + chunk;
            offset += chunk;
            if (offset >= option.Value.Length)
            {
                item++;
                offset = 0;
            }
        }
        return true;
    }

    private bool FillOverloadField(Span<byte> field, ref int item, ref int offset)
    {
        var position = 0;
        var done = FillField(field, ref position, ref item, ref offset, reserve: 1);
        field[position] = DhcpOptionCode.End;
        return done;
    }

    private static int Pad(Span<byte> destination, int length, int limit)
    {
        var padded = Math.Min(Math.Max(length, MinimumLength), Math.Max(limit, length));
        destination[length..padded].Clear();
        return padded;
    }

    /// <summary>
    /// The most bytes a reply to <paramref name="request"/> may have: its option 57 (RFC 2132 §9.10, the whole IP
    /// datagram) minus 28 bytes of IP and UDP headers, never below 576 - 28.
    /// </summary>
    public static int MaxReplyLength(DhcpMessage request) =>
        Math.Max((request.Options.GetUInt16(DhcpOptionCode.MaxMessageSize) ?? 0) - 28, DefaultMaxLength);

    private static string ReadCString(ReadOnlySpan<byte> field)
    {
        var end = field.IndexOf((byte)0);
        return Encoding.Latin1.GetString(end < 0 ? field : field[..end]);
    }

    private static bool TryWriteCString(string value, Span<byte> field)
    {
        // Leave room for the terminating NUL.
        if (value.Length >= field.Length)
        {
            return false;
        }
        return Encoding.Latin1.TryGetBytes(value, field, out _);
    }

    /// <summary>Lower-case hex pairs joined by colons ("52:54:00:12:34:56"), in one allocation: it runs several times per packet.</summary>
    internal static string FormatHex(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return "";
        }
        const string Digits = "0123456789abcdef";
        var length = (bytes.Length * 3) - 1;
        Span<char> text = length <= 1024 ? stackalloc char[length] : new char[length];
        for (var i = 0; i < bytes.Length; i++)
        {
            if (i > 0)
            {
                text[(i * 3) - 1] = ':';
            }
            text[i * 3] = Digits[bytes[i] >> 4];
            text[(i * 3) + 1] = Digits[bytes[i] & 0xf];
        }
        return new string(text);
    }
}
