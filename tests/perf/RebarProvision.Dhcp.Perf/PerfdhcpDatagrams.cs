using System.Buffers.Binary;

/// <summary>
/// The DISCOVER and REQUEST that perfdhcp sends in the rig (relayed: giaddr set, hops 1; options 53, 50 and 54 in
/// REQUESTs, a parameter request list), written into a caller's buffer so the client side allocates nothing.
/// </summary>
internal static class PerfdhcpDatagrams
{
    /// <summary>perfdhcp's default parameter request list: mask, broadcast, time offset, routers, domain, DNS, host name.</summary>
    private static ReadOnlySpan<byte> RequestedParameters => [1, 28, 2, 3, 15, 6, 12];

    public static int Discover(Span<byte> buffer, uint transaction, int client, uint relay)
    {
        var i = Header(buffer, transaction, client, relay);
        buffer[i++] = 53;
        buffer[i++] = 1;
        buffer[i++] = 1;
        return Finish(buffer, i);
    }

    public static int Request(Span<byte> buffer, uint transaction, int client, uint relay, uint server, uint offered)
    {
        var i = Header(buffer, transaction, client, relay);
        buffer[i++] = 53;
        buffer[i++] = 1;
        buffer[i++] = 3;
        i = Address(buffer, i, 54, server);
        i = Address(buffer, i, 50, offered);
        return Finish(buffer, i);
    }

    private static int Header(Span<byte> buffer, uint transaction, int client, uint relay)
    {
        buffer[..300].Clear();
        buffer[0] = 1;
        buffer[1] = 1;
        buffer[2] = 6;
        buffer[3] = 1;
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], transaction);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[24..], relay);
        buffer[28] = 2;
        BinaryPrimitives.WriteInt32BigEndian(buffer[30..], client);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[236..], 0x63825363);
        return 240;
    }

    private static int Address(Span<byte> buffer, int i, byte code, uint address)
    {
        buffer[i] = code;
        buffer[i + 1] = 4;
        BinaryPrimitives.WriteUInt32BigEndian(buffer[(i + 2)..], address);
        return i + 6;
    }

    private static int Finish(Span<byte> buffer, int i)
    {
        buffer[i++] = 55;
        buffer[i++] = (byte)RequestedParameters.Length;
        RequestedParameters.CopyTo(buffer[i..]);
        i += RequestedParameters.Length;
        buffer[i++] = 255;
        return Math.Max(i, 300);
    }
}
