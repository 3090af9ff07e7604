using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace RebarProvision.Tftp.Perf;

/// <summary>
/// A minimal RFC 1350/2347/2348/7440 download client used against both servers, so the benchmark compares servers
/// and not clients. It ACKs at the end of each window, re-ACKs the last in-order block on a gap or a timeout, and
/// counts the bytes instead of writing them. After each awaited datagram it drains what is already queued without
/// awaiting, so the client costs little per block and the servers stay the bottleneck.
/// </summary>
public sealed class LoadClient(IPEndPoint server, int blockSize, int windowSize)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    private readonly byte[] _buffer = new byte[65536];
    private readonly byte[] _ack = new byte[4];
    private Socket _socket = null!;
    private EndPoint? _peer;
    private int _size = 512;
    private int _window = 1;
    private long _expected = 1;
    private long _received;
    private int _inWindow;
    private bool _done;

    /// <summary>The address to send from: a simulated machine downloads from the address it leased (tests/perf/storm).</summary>
    public IPAddress LocalAddress { get; init; } = IPAddress.Any;

    /// <summary>Timeouts that made this client re-send its request or its last ACK.</summary>
    public int Retries { get; private set; }

    public async Task<long> DownloadAsync(string file, CancellationToken cancellationToken)
    {
        // Non-blocking, so the drain loop below learns "nothing queued" from an error code instead of an ioctl per packet.
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 1 << 20, Blocking = false };
        _socket = socket;
        socket.Bind(new IPEndPoint(LocalAddress, 0));
        List<TftpOption> options = [];
        if (blockSize != 512)
        {
            options.Add(new("blksize", blockSize.ToString(CultureInfo.InvariantCulture)));
        }
        if (windowSize != 1)
        {
            options.Add(new("windowsize", windowSize.ToString(CultureInfo.InvariantCulture)));
        }
        var request = new byte[512];
        var requestLength = TftpPacketWriter.WriteRequest(request, new TftpRequest(false, file, TftpMode.Octet, options));
        var remote = new IPEndPoint(IPAddress.Any, 0);
        var retries = 0;
        socket.SendTo(request.AsSpan(0, requestLength), server);
        while (!_done)
        {
            SocketReceiveFromResult result;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(Timeout);
                try
                {
                    result = await socket.ReceiveFromAsync(_buffer, SocketFlags.None, remote, timeout.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    Retries++;
                    if (++retries > 10)
                    {
                        throw new TimeoutException($"{file}: no answer from {server}");
                    }
                    if (_peer is null)
                    {
                        socket.SendTo(request.AsSpan(0, requestLength), server);
                    }
                    else
                    {
                        SendAck(_expected - 1);
                    }
                    continue;
                }
            }
            retries = 0;
            if (_peer is null)
            {
                // RFC 1350 §4: the transfer is with the first port that answered. A slow server may answer a
                // re-sent RRQ with a second transfer; connecting makes the kernel drop that one's packets.
                _peer = result.RemoteEndPoint;
                socket.Connect(_peer);
            }
            Process(_buffer.AsSpan(0, result.ReceivedBytes), file);
            while (!_done)
            {
                var length = socket.Receive(_buffer, SocketFlags.None, out var error);
                if (error != SocketError.Success)
                {
                    break;
                }
                Process(_buffer.AsSpan(0, length), file);
            }
        }
        return _received;
    }

    private void Process(ReadOnlySpan<byte> datagram, string file)
    {
        if (datagram.Length >= 4 && datagram[0] == 0 && datagram[1] == (byte)TftpOpcode.Data)
        {
            if (BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]) != TftpTransfer.WireBlock(_expected))
            {
                // RFC 7440 §4: out of order, so ACK the last block received in order and let the window restart.
                _inWindow = 0;
                SendAck(_expected - 1);
                return;
            }
            var length = datagram.Length - 4;
            _received += length;
            _expected++;
            if (length < _size)
            {
                SendAck(_expected - 1);
                _done = true;
            }
            else if (++_inWindow == _window)
            {
                _inWindow = 0;
                SendAck(_expected - 1);
            }
            return;
        }
        if (!TftpPacketReader.TryParse(datagram, out var packet, out _))
        {
            return;
        }
        switch (packet)
        {
            case TftpOptionAck oack:
                foreach (var option in oack.Options)
                {
                    if (option.Is("blksize"))
                    {
                        _size = int.Parse(option.Value, CultureInfo.InvariantCulture);
                    }
                    else if (option.Is("windowsize"))
                    {
                        _window = int.Parse(option.Value, CultureInfo.InvariantCulture);
                    }
                }
                SendAck(0);
                break;
            case TftpError error:
                throw new InvalidOperationException($"{file}: error {error.Code} {error.Message}");
        }
    }

    private void SendAck(long block)
    {
        TftpPacketWriter.WriteAck(_ack, TftpTransfer.WireBlock(block));
        _socket.SendTo(_ack, _peer!);
    }
}
