using System.Globalization;

namespace RebarProvision.Model;

/// <summary>MAC addresses in their one stored form: six lower-case hex pairs joined by colons.</summary>
public static class HardwareAddress
{
    /// <summary>Accepts aa:bb:cc:dd:ee:ff, AA-BB-CC-DD-EE-FF and aabbccddeeff.</summary>
    public static bool TryNormalize(string? text, out string normalized)
    {
        normalized = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        Span<char> hex = stackalloc char[12];
        var count = 0;
        foreach (var c in text.Trim())
        {
            if (c is ':' or '-' or '.')
            {
                continue;
            }
            if (!char.IsAsciiHexDigit(c) || count == 12)
            {
                return false;
            }
            hex[count++] = char.ToLowerInvariant(c);
        }
        if (count != 12)
        {
            return false;
        }
        normalized = string.Create(17, hex.ToArray(), static (dest, src) =>
        {
            for (var i = 0; i < 6; i++)
            {
                dest[i * 3] = src[i * 2];
                dest[(i * 3) + 1] = src[(i * 2) + 1];
                if (i < 5)
                {
                    dest[(i * 3) + 2] = ':';
                }
            }
        });
        return true;
    }

    public static string Normalize(string text) =>
        TryNormalize(text, out var normalized) ? normalized : throw new FormatException($"'{text}' is not a MAC address");

    public static string Format(ReadOnlySpan<byte> mac)
    {
        return string.Create(mac.Length * 3 - 1, mac.ToArray(), static (dest, src) =>
        {
            for (var i = 0; i < src.Length; i++)
            {
                src[i].TryFormat(dest[(i * 3)..], out _, "x2", CultureInfo.InvariantCulture);
                if (i < src.Length - 1)
                {
                    dest[(i * 3) + 2] = ':';
                }
            }
        });
    }
}
