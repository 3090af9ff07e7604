using System.Buffers.Binary;
using System.Globalization;

namespace RebarProvision.Dhcp;

/// <summary>Option 121 (RFC 3442 §3): each route is a prefix length, the significant octets of the destination, and a router.</summary>
internal static class ClasslessRoutes
{
    /// <summary>Reads routes written as "10.0.0.0/8 10.0.0.1".</summary>
    public static bool TryEncode(IEnumerable<string> routes, out byte[] value)
    {
        var bytes = new List<byte>();
        value = [];
        Span<byte> buffer = stackalloc byte[4];
        foreach (var route in routes)
        {
            var parts = route.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2)
            {
                return false;
            }
            var slash = parts[0].IndexOf('/', StringComparison.Ordinal);
            if (slash < 0 ||
                !int.TryParse(parts[0].AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) || prefix > 32 ||
                !DhcpOptionDefinition.TryParseAddress(parts[0][..slash], out var destination) ||
                !DhcpOptionDefinition.TryParseAddress(parts[1], out var router))
            {
                return false;
            }
            bytes.Add((byte)prefix);
            BinaryPrimitives.WriteUInt32BigEndian(buffer, destination);
            bytes.AddRange(buffer[..((prefix + 7) / 8)].ToArray());
            BinaryPrimitives.WriteUInt32BigEndian(buffer, router);
            bytes.AddRange(buffer.ToArray());
        }
        value = [.. bytes];
        return true;
    }

    public static bool TryDecode(ReadOnlySpan<byte> value, out List<string> routes)
    {
        routes = [];
        var i = 0;
        Span<byte> destination = stackalloc byte[4];
        while (i < value.Length)
        {
            var prefix = value[i];
            var significant = (prefix + 7) / 8;
            if (prefix > 32 || i + 1 + significant + 4 > value.Length)
            {
                return false;
            }
            destination.Clear();
            value.Slice(i + 1, significant).CopyTo(destination);
            var router = BinaryPrimitives.ReadUInt32BigEndian(value[(i + 1 + significant)..]);
            routes.Add($"{DhcpOptionDefinition.FormatAddress(BinaryPrimitives.ReadUInt32BigEndian(destination))}/{prefix} {DhcpOptionDefinition.FormatAddress(router)}");
            i += 1 + significant + 4;
        }
        return true;
    }
}
