namespace RebarProvision.Tftp;

/// <summary>RFC 1350 §1 / RFC 764: netascii sends local LF as CR LF and a bare CR as CR NUL.</summary>
public static class NetAscii
{
    public static byte[] Encode(ReadOnlySpan<byte> local)
    {
        var extra = 0;
        foreach (var b in local)
        {
            if (b is (byte)'\n' or (byte)'\r')
            {
                extra++;
            }
        }
        var encoded = new byte[local.Length + extra];
        var at = 0;
        foreach (var b in local)
        {
            if (b == '\n')
            {
                encoded[at++] = (byte)'\r';
                encoded[at++] = (byte)'\n';
            }
            else if (b == '\r')
            {
                encoded[at++] = (byte)'\r';
                encoded[at++] = 0;
            }
            else
            {
                encoded[at++] = b;
            }
        }
        return encoded;
    }
}
