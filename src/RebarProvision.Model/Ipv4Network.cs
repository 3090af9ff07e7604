using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace RebarProvision.Model;

/// <summary>An IPv4 CIDR block, with addresses handled as host-order integers so ranges are plain arithmetic.</summary>
public readonly record struct Ipv4Network(uint Network, int PrefixLength)
{
    public uint Mask => PrefixLength == 0 ? 0u : uint.MaxValue << (32 - PrefixLength);

    public uint Broadcast => Network | ~Mask;

    public bool Contains(uint address) => (address & Mask) == Network;

    public bool Contains(IPAddress address) => TryToUInt(address, out var value) && Contains(value);

    public static bool TryParse(string? text, out Ipv4Network network)
    {
        network = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !int.TryParse(text.AsSpan(slash + 1), out var prefix) || prefix is < 0 or > 32)
        {
            return false;
        }
        if (!TryParseAddress(text[..slash], out var address))
        {
            return false;
        }
        var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
        network = new Ipv4Network(address & mask, prefix);
        return true;
    }

    public static bool TryParseAddress(string? text, out uint address)
    {
        if (TryParseDecimalQuad(text, out address))
        {
            return true;
        }
        if (IPAddress.TryParse(text ?? "", out var ip) && text!.Count(c => c == '.') == 3 && TryToUInt(ip, out address))
        {
            return true;
        }
        address = 0;
        return false;
    }

    /// <summary>
    /// The canonical form only ("10.0.0.5": four decimal parts, no leading zeros, what <see cref="Format"/> writes),
    /// without allocating; leases and DHCP parse addresses several times per packet. <see cref="TryParseAddress"/>
    /// leaves every other spelling to <see cref="IPAddress.TryParse(string?, out IPAddress?)"/>.
    /// </summary>
    public static bool TryParseCanonical(string? text, out uint address) => TryParseDecimalQuad(text, out address);

    private static bool TryParseDecimalQuad(string? text, out uint address)
    {
        address = 0;
        if (text is null || text.Length is < 7 or > 15)
        {
            return false;
        }
        var part = 0;
        var digits = 0;
        var value = 0u;
        foreach (var c in text)
        {
            if (c == '.')
            {
                if (digits == 0 || ++part > 3)
                {
                    return false;
                }
                address = (address << 8) | value;
                value = 0;
                digits = 0;
                continue;
            }
            if (c is < '0' or > '9' || (digits == 1 && value == 0))
            {
                return false;
            }
            value = (value * 10) + (uint)(c - '0');
            if (++digits > 3 || value > 255)
            {
                return false;
            }
        }
        if (part != 3 || digits == 0)
        {
            return false;
        }
        address = (address << 8) | value;
        return true;
    }

    public static bool TryToUInt(IPAddress address, out uint value)
    {
        value = 0;
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        value = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        return true;
    }

    public static IPAddress ToAddress(uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes);
    }

    public static string Format(uint value) => $"{value >> 24}.{(value >> 16) & 0xff}.{(value >> 8) & 0xff}.{value & 0xff}";

    public override string ToString() => $"{Format(Network)}/{PrefixLength}";
}
