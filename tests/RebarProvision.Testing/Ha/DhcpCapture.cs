using System.Buffers.Binary;
using RebarProvision.Dhcp;

namespace RebarProvision.Testing.Ha;

/// <summary>
/// The DHCP messages in a tcpdump capture (classic pcap, Ethernet): what the load generator sent and got, with
/// when, so a test judges the servers by the bytes on the wire.
/// </summary>
public static class DhcpCapture
{
    public sealed record Packet(double UnixSeconds, DhcpMessage Message)
    {
        public DhcpMessageType Type => Message.MessageType;

        public uint? ServerId => Message.Options.GetAddress(DhcpOptionCode.ServerIdentifier);
    }

    /// <summary>Every DHCP message in the file, with its capture time in Unix seconds.</summary>
    public static IReadOnlyList<Packet> Read(string path)
    {
        var data = File.ReadAllBytes(path);
        var packets = new List<Packet>();
        if (data.Length < 24)
        {
            return packets;
        }
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(data);
        var nanoseconds = magic == 0xa1b23c4d;
        if (magic is not (0xa1b2c3d4 or 0xa1b23c4d))
        {
            throw new InvalidDataException($"{path} is not a little-endian pcap file: magic {magic:x8}");
        }
        var offset = 24;
        while (offset + 16 <= data.Length)
        {
            var seconds = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(offset));
            var fraction = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(offset + 4));
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(offset + 8));
            offset += 16;
            if (offset + length > data.Length)
            {
                break;
            }
            var time = seconds + (fraction / (nanoseconds ? 1e9 : 1e6));
            if (Payload(data.AsSpan(offset, length)) is { } payload && DhcpMessage.TryParse(payload, out var message, out _))
            {
                packets.Add(new Packet(time, message));
            }
            offset += length;
        }
        return packets;
    }

    /// <summary>The UDP payload of an Ethernet/IPv4/UDP frame, or null.</summary>
    private static byte[]? Payload(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 14 + 20 + 8 || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != 0x0800)
        {
            return null;
        }
        var ip = frame[14..];
        var headerLength = (ip[0] & 0x0f) * 4;
        if (ip[9] != 17 || ip.Length < headerLength + 8)
        {
            return null;
        }
        var udp = ip[headerLength..];
        var udpLength = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(udp[4..]), udp.Length);
        return udpLength <= 8 ? null : udp[8..udpLength].ToArray();
    }
}
