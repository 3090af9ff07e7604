using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Text;

namespace RebarProvision.Dhcp;

/// <summary>An option's code, its name as the RFCs spell it, and how its value reads and writes as text.</summary>
public sealed record DhcpOptionDefinition(byte Code, string Name, DhcpOptionType Type)
{
    /// <summary>Turns operator text ("10.0.0.1", "10.0.0.2, 10.0.0.3", "600") into the option's bytes.</summary>
    public bool TryEncode(string text, out byte[] value)
    {
        value = [];
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        switch (Type)
        {
            case DhcpOptionType.Text:
                value = Encoding.UTF8.GetBytes(text);
                return true;
            case DhcpOptionType.Bytes:
                return TryParseHex(text, out value);
            case DhcpOptionType.Address:
                return parts.Length == 1 && TryEncodeList(parts, 4, WriteAddress, out value);
            case DhcpOptionType.AddressList:
                return parts.Length > 0 && TryEncodeList(parts, 4, WriteAddress, out value);
            case DhcpOptionType.Byte:
                return parts.Length == 1 && TryEncodeList(parts, 1, WriteByte, out value);
            case DhcpOptionType.ByteList:
                return TryEncodeList(parts, 1, WriteByte, out value);
            case DhcpOptionType.UInt16:
                return parts.Length == 1 && TryEncodeList(parts, 2, WriteUInt16, out value);
            case DhcpOptionType.UInt16List:
                return parts.Length > 0 && TryEncodeList(parts, 2, WriteUInt16, out value);
            case DhcpOptionType.UInt32:
                return parts.Length == 1 && TryEncodeList(parts, 4, WriteUInt32, out value);
            case DhcpOptionType.DomainList:
                return DomainNames.TryEncode(parts, out value);
            case DhcpOptionType.ClasslessRoutes:
                return ClasslessRoutes.TryEncode(parts, out value);
            default:
                return false;
        }
    }

    /// <summary>The value as text in the same form <see cref="TryEncode"/> reads; hex when it does not fit the type.</summary>
    public string Format(ReadOnlySpan<byte> value)
    {
        switch (Type)
        {
            case DhcpOptionType.Text:
                return Encoding.Latin1.GetString(value).TrimEnd('\0');
            case DhcpOptionType.Address when value.Length == 4:
            case DhcpOptionType.AddressList when value.Length > 0 && value.Length % 4 == 0:
                return FormatList(value, 4, v => FormatAddress(BinaryPrimitives.ReadUInt32BigEndian(v)));
            case DhcpOptionType.Byte when value.Length == 1:
            case DhcpOptionType.ByteList:
                return FormatList(value, 1, v => v[0].ToString(CultureInfo.InvariantCulture));
            case DhcpOptionType.UInt16 when value.Length == 2:
            case DhcpOptionType.UInt16List when value.Length > 0 && value.Length % 2 == 0:
                return FormatList(value, 2, v => BinaryPrimitives.ReadUInt16BigEndian(v).ToString(CultureInfo.InvariantCulture));
            case DhcpOptionType.UInt32 when value.Length == 4:
                return BinaryPrimitives.ReadUInt32BigEndian(value).ToString(CultureInfo.InvariantCulture);
            case DhcpOptionType.DomainList when DomainNames.TryDecode(value, out var names):
                return string.Join(", ", names);
            case DhcpOptionType.ClasslessRoutes when ClasslessRoutes.TryDecode(value, out var routes):
                return string.Join(", ", routes);
            default:
                return DhcpMessage.FormatHex(value);
        }
    }

    public static string FormatAddress(uint address) =>
        $"{address >> 24}.{(address >> 16) & 0xff}.{(address >> 8) & 0xff}.{address & 0xff}";

    public static bool TryParseAddress(string text, out uint address)
    {
        address = 0;
        if (text.Count(c => c == '.') != 3 || !IPAddress.TryParse(text, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            return false;
        }
        Span<byte> bytes = stackalloc byte[4];
        ip.TryWriteBytes(bytes, out _);
        address = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        return true;
    }

    private delegate bool ElementWriter(string text, Span<byte> destination);

    private static bool TryEncodeList(string[] parts, int size, ElementWriter write, out byte[] value)
    {
        value = new byte[parts.Length * size];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!write(parts[i], value.AsSpan(i * size, size)))
            {
                value = [];
                return false;
            }
        }
        return true;
    }

    private static bool WriteAddress(string text, Span<byte> destination)
    {
        if (!TryParseAddress(text, out var address))
        {
            return false;
        }
        BinaryPrimitives.WriteUInt32BigEndian(destination, address);
        return true;
    }

    private static bool WriteByte(string text, Span<byte> destination)
    {
        if (!byte.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var b))
        {
            return false;
        }
        destination[0] = b;
        return true;
    }

    private static bool WriteUInt16(string text, Span<byte> destination) =>
        ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && BinaryPrimitives.TryWriteUInt16BigEndian(destination, v);

    private static bool WriteUInt32(string text, Span<byte> destination) =>
        uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && BinaryPrimitives.TryWriteUInt32BigEndian(destination, v);

    private delegate string ElementFormatter(ReadOnlySpan<byte> element);

    private static string FormatList(ReadOnlySpan<byte> value, int size, ElementFormatter format)
    {
        var builder = new StringBuilder();
        for (var i = 0; i + size <= value.Length; i += size)
        {
            if (builder.Length > 0)
            {
                builder.Append(", ");
            }
            builder.Append(format(value.Slice(i, size)));
        }
        return builder.ToString();
    }

    private static bool TryParseHex(string text, out byte[] value)
    {
        var digits = text.Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
        value = [];
        if (digits.Length % 2 != 0 || !digits.All(char.IsAsciiHexDigit))
        {
            return false;
        }
        value = Convert.FromHexString(digits);
        return true;
    }
}
