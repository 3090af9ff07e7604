namespace RebarProvision.Tftp.Transport;

/// <summary>
/// Turns a requested TFTP filename into a path relative to a root, or refuses it. Refused: NUL and other control
/// characters, backslashes, ".." segments, absolute paths and names longer than <see cref="MaxLength"/>.
/// A single leading '/' is accepted and means the root, as tftpd-hpa does with -s, because much PXE firmware sends
/// "/pxelinux.0"; so "/etc/passwd" names root/etc/passwd, never the host's. Two leading slashes are refused.
/// </summary>
public static class TftpPathSanitizer
{
    public const int MaxLength = 255;

    public static bool TrySanitize(string requested, out string relative)
    {
        relative = "";
        if (requested.Length == 0 || requested.Length > MaxLength)
        {
            return false;
        }
        foreach (var c in requested)
        {
            if (c == '\\' || char.IsControl(c))
            {
                return false;
            }
        }
        var path = requested[0] == '/' ? requested[1..] : requested;
        if (path.Length == 0 || path[0] == '/')
        {
            return false;
        }
        var segments = new List<string>();
        foreach (var segment in path.Split('/'))
        {
            if (segment == "..")
            {
                return false;
            }
            if (segment.Length > 0 && segment != ".")
            {
                segments.Add(segment);
            }
        }
        if (segments.Count == 0)
        {
            return false;
        }
        relative = string.Join('/', segments);
        return true;
    }
}
