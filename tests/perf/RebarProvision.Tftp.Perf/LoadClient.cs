using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace RebarProvision.Tftp.Perf;

/// <summary>
/// A minimal RFC 1350/2347/2348/7440 download client used against both servers, so the benchmark compares servers
/// and not clients. It ACKs at the end of each window, re-ACKs the last in-order block on a gap or a timeout, and
/// counts the bytes instead of writing them.
/// </summary>
public sealed class LoadClient(IPEndPoint server, int blockSize, int windowSize)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    public async Task<long> DownloadAsync(string file, CancellationToken cancellationToken)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 1 << 20 };
        socket.Bind(new IPEndPoint(IPAddress.Any, 0));
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
        var buffer = new byte[65536];
        var ack = new byte[4];
        EndPoint? peer = null;
        var remote = new IPEndPoint(IPAddress.Any, 0);
        var size = 512;
        var window = 1;
        long expected = 1;
        long received = 0;
        var inWindow = 0;
        var retries = 0;
        await socket.SendToAsync(request.AsMemory(0, requestLength), server, cancellationToken);
        while (true)
        {
            SocketReceiveFromResult result;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(Timeout);
                try
                {
                    result = await socket.ReceiveFromAsync(buffer, SocketFlags.None, remote, timeout.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    if (++retries > 10)
                    {
                        throw new TimeoutException($"{file}: no answer from {server}");
                    }
                    if (peer is null)
                    {
                        await socket.SendToAsync(request.AsMemory(0, requestLength), server, cancellationToken);
                    }
                    else
                    {
                        await SendAckAsync(expected - 1);
                    }
                    continue;
                }
            }
            retries = 0;
            peer ??= result.RemoteEndPoint;
            var datagram = buffer.AsSpan(0, result.ReceivedBytes);
            // DATA is read in place: copying every payload would make the client, not the server, the bottleneck.
            if (datagram.Length >= 4 && datagram[0] == 0 && datagram[1] == (byte)TftpOpcode.Data)
            {
                if (System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]) != TftpTransfer.WireBlock(expected))
                {
                    // RFC 7440 §4: out of order, so ACK the last block received in order and let the window restart.
                    inWindow = 0;
                    await SendAckAsync(expected - 1);
                    continue;
                }
                var length = datagram.Length - 4;
                received += length;
                expected++;
                if (length < size)
                {
                    await SendAckAsync(expected - 1);
                    return received;
                }
                if (++inWindow == window)
                {
                    inWindow = 0;
                    await SendAckAsync(expected - 1);
                }
                continue;
            }
            if (!TftpPacketReader.TryParse(datagram, out var packet, out _))
            {
                continue;
            }
            switch (packet)
            {
                case TftpOptionAck oack:
                    foreach (var option in oack.Options)
                    {
                        if (option.Is("blksize"))
                        {
                            size = int.Parse(option.Value, CultureInfo.InvariantCulture);
                        }
                        else if (option.Is("windowsize"))
                        {
                            window = int.Parse(option.Value, CultureInfo.InvariantCulture);
                        }
                    }
                    await SendAckAsync(0);
                    break;
                case TftpError error:
                    throw new InvalidOperationException($"{file}: error {error.Code} {error.Message}");
            }
        }

        async ValueTask SendAckAsync(long block)
        {
            TftpPacketWriter.WriteAck(ack, TftpTransfer.WireBlock(block));
            await socket.SendToAsync(ack, peer!, cancellationToken);
        }
    }
}
