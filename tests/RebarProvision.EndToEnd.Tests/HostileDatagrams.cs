using System.Buffers.Binary;
using System.Text;
using RebarProvision.Dhcp;
using RebarProvision.Tftp;

namespace RebarProvision.EndToEnd.Tests;

/// <summary>
/// What a hostile provisioning network sends, from one seed so a failing run replays: well-formed DHCP and TFTP
/// requests (direct and relayed, PXE and not, many client identities), the same mutated (bits flipped, bytes
/// overwritten, cut short, padded) and earlier datagrams replayed.
/// </summary>
public sealed class HostileDatagrams(int seed, uint server, IReadOnlyList<uint> relays, string knownMac)
{
    private readonly Random _random = new(seed);
    private readonly List<byte[]> _sent = [];

    /// <summary>The next datagram and whether it goes to DHCP (port 67) or TFTP (port 69).</summary>
    public (byte[] Datagram, bool ToDhcp) Next()
    {
        if (_sent.Count > 0 && _random.NextDouble() < 0.15)
        {
            var replay = _sent[_random.Next(_sent.Count)];
            return (replay, replay.Length >= 240);
        }
        var toDhcp = _random.NextDouble() < 0.6;
        var datagram = toDhcp ? Dhcp() : Tftp();
        if (_random.NextDouble() < 0.6)
        {
            datagram = Mutate(datagram);
        }
        if (_sent.Count < 4096)
        {
            _sent.Add(datagram);
        }
        else
        {
            _sent[_random.Next(_sent.Count)] = datagram;
        }
        return (datagram, toDhcp);
    }

    private byte[] Dhcp()
    {
        var chaddr = new byte[16];
        _random.NextBytes(chaddr.AsSpan(0, 6));
        chaddr[0] &= 0xfe;
        var message = new DhcpMessage { TransactionId = (uint)_random.Next(), ClientHardwareAddress = chaddr };
        var type = (DhcpMessageType)_random.Next(1, 9);
        message.Options.SetByte(DhcpOptionCode.MessageType, (byte)type);
        if (_random.NextDouble() < 0.5)
        {
            message.Options.SetUInt16(DhcpOptionCode.ClientArchitecture, (ushort)_random.Next(0, 12));
            message.Options.SetText(DhcpOptionCode.VendorClass, "PXEClient:Arch:00000:UNDI:002001");
        }
        if (_random.NextDouble() < 0.3)
        {
            message.Options.SetText(DhcpOptionCode.UserClass, "iPXE");
        }
        if (type == DhcpMessageType.Request || _random.NextDouble() < 0.2)
        {
            // Requests for pool addresses, ours as server identifier or not: SELECTING without an OFFER, INIT-REBOOT.
            message.Options.SetUInt32(DhcpOptionCode.RequestedAddress, (server & 0xffffff00) | (uint)_random.Next(90, 210));
            if (_random.NextDouble() < 0.5)
            {
                message.Options.SetUInt32(DhcpOptionCode.ServerIdentifier, _random.NextDouble() < 0.8 ? server : (uint)_random.Next());
            }
        }
        if (_random.NextDouble() < 0.3)
        {
            message.RelayAddress = relays[_random.Next(relays.Count)];
            message.Hops = 1;
        }
        var bytes = new byte[DhcpMessage.DefaultMaxLength];
        return message.TryWrite(bytes, bytes.Length, out var written) ? bytes[..written] : bytes;
    }

    private byte[] Tftp()
    {
        string[] names = ["undionly.kpxe", "ipxe.efi", $"pxelinux.cfg/01-{knownMac.Replace(':', '-')}", $"boot/{knownMac}.ipxe",
            "../../etc/passwd", "files/../../../etc/shadow", "nothing-here", new string('a', 300), "pxelinux.cfg/default"];
        var roll = _random.NextDouble();
        if (roll < 0.6)
        {
            List<TftpOption> options = [];
            foreach (var (name, value) in new[] { ("blksize", _random.Next(0, 70_000).ToString()), ("tsize", "0"), ("windowsize", _random.Next(0, 70_000).ToString()), ("timeout", _random.Next(0, 300).ToString()) })
            {
                if (_random.NextDouble() < 0.4)
                {
                    options.Add(new TftpOption(name, value));
                }
            }
            var mode = _random.NextDouble() switch { < 0.7 => TftpMode.Octet, < 0.9 => TftpMode.NetAscii, _ => TftpMode.Mail };
            var request = new TftpRequest(_random.NextDouble() < 0.1, names[_random.Next(names.Length)], mode, options);
            var bytes = new byte[TftpPacketWriter.GetLength(request)];
            return TftpPacketWriter.TryWrite(request, bytes, out _) ? bytes : [0, 1];
        }
        if (roll < 0.8)
        {
            // ACK, DATA, ERROR and OACK sent to the listening port, where only requests belong.
            var packet = new byte[4 + _random.Next(0, 64)];
            BinaryPrimitives.WriteUInt16BigEndian(packet, (ushort)_random.Next(2, 7));
            _random.NextBytes(packet.AsSpan(2));
            return packet;
        }
        var garbage = new byte[_random.Next(0, 600)];
        _random.NextBytes(garbage);
        return garbage;
    }

    private byte[] Mutate(byte[] datagram)
    {
        var bytes = datagram.ToList();
        for (var i = _random.Next(1, 9); i > 0; i--)
        {
            var at = bytes.Count == 0 ? 0 : _random.Next(bytes.Count);
            switch (_random.Next(5))
            {
                case 0 when bytes.Count > 0:
                    bytes[at] ^= (byte)(1 << _random.Next(8));
                    break;
                case 1 when bytes.Count > 0:
                    bytes[at] = (byte)_random.Next(256);
                    break;
                case 2:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 3:
                    bytes.AddRange(Encoding.ASCII.GetBytes(new string('\0', _random.Next(1, 64))));
                    break;
                default:
                    // Options and lengths at their edges: 0xff (end, 255-byte length) and 0x00 (pad, zero length).
                    bytes.Insert(at, _random.NextDouble() < 0.5 ? (byte)0xff : (byte)0);
                    break;
            }
        }
        return [.. bytes];
    }
}
