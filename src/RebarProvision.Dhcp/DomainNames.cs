using System.Text;

namespace RebarProvision.Dhcp;

/// <summary>Option 119 (RFC 3397): DNS names in RFC 1035 §3.1 label form, with §4.1.4 compression pointers on read.</summary>
internal static class DomainNames
{
    public static bool TryEncode(IEnumerable<string> names, out byte[] value)
    {
        var bytes = new List<byte>();
        value = [];
        foreach (var name in names)
        {
            foreach (var label in name.TrimEnd('.').Split('.'))
            {
                if (label.Length is 0 or > 63 || !Ascii.IsValid(label))
                {
                    return false;
                }
                bytes.Add((byte)label.Length);
                bytes.AddRange(Encoding.ASCII.GetBytes(label));
            }
            bytes.Add(0);
        }
        value = [.. bytes];
        return true;
    }

    public static bool TryDecode(ReadOnlySpan<byte> value, out List<string> names)
    {
        names = [];
        var position = 0;
        while (position < value.Length)
        {
            if (!TryReadName(value, ref position, out var name))
            {
                return false;
            }
            names.Add(name);
        }
        return true;
    }

    private static bool TryReadName(ReadOnlySpan<byte> value, ref int position, out string name)
    {
        var builder = new StringBuilder();
        name = "";
        var cursor = position;
        var jumped = false;
        // Each pointer must go backwards, so a loop of pointers cannot run forever; the hop limit is a second guard.
        for (var hops = 0; hops < 128; hops++)
        {
            if (cursor >= value.Length)
            {
                return false;
            }
            var length = value[cursor];
            if (length == 0)
            {
                if (!jumped)
                {
                    position = cursor + 1;
                }
                name = builder.ToString();
                return true;
            }
            if ((length & 0xc0) == 0xc0)
            {
                if (cursor + 1 >= value.Length)
                {
                    return false;
                }
                var target = ((length & 0x3f) << 8) | value[cursor + 1];
                if (target >= cursor)
                {
                    return false;
                }
                if (!jumped)
                {
                    position = cursor + 2;
                }
                jumped = true;
                cursor = target;
                continue;
            }
            if (length > 63 || cursor + 1 + length > value.Length)
            {
                return false;
            }
            if (builder.Length > 0)
            {
                builder.Append('.');
            }
            builder.Append(Encoding.Latin1.GetString(value.Slice(cursor + 1, length)));
            cursor += 1 + length;
        }
        return false;
    }
}
