using System.Buffers;
using System.Net.Sockets;

namespace RebarProvision.Tftp.Transport;

/// <summary>Drives one <see cref="TftpTransfer"/> over its connected socket with pooled buffers and one timer.</summary>
internal sealed class TftpTransferSession(Socket socket, TftpFileResult file, TftpNegotiation negotiation, int maxRetries, TimeProvider time, TftpMetrics metrics)
{
    /// <summary>Big enough for any ACK or ERROR a client sends us; longer error messages are cut, which is harmless.</summary>
    private const int ReceiveBufferSize = 600;

    private readonly TftpTransfer _transfer = new(file.Length, negotiation.Settings, negotiation.Acknowledged.Count > 0, maxRetries);
    private readonly long _origin = time.GetTimestamp();
    private long _retransmitsCounted;

    public async Task<TftpTransferOutcome> RunAsync(CancellationToken stopping)
    {
        var send = ArrayPool<byte>.Shared.Rent(TftpPacketWriter.DataHeaderLength + Math.Max(negotiation.Settings.BlockSize, TftpPacketWriter.GetLength(new TftpOptionAck(negotiation.Acknowledged))));
        var receive = ArrayPool<byte>.Shared.Rent(ReceiveBufferSize);
        var timer = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        try
        {
            Execute(_transfer.Start(Now), send);
            while (_transfer.Outcome == TftpTransferOutcome.InProgress)
            {
                var wait = _transfer.Deadline - Now;
                if (wait <= TimeSpan.Zero)
                {
                    Execute(_transfer.OnTimer(Now), send);
                    continue;
                }
                int length;
                try
                {
                    timer.CancelAfter(wait);
                    length = await socket.ReceiveAsync(receive.AsMemory(), SocketFlags.None, timer.Token);
                }
                catch (OperationCanceledException)
                {
                    if (stopping.IsCancellationRequested)
                    {
                        return TftpTransferOutcome.InProgress;
                    }
                    timer.Dispose();
                    timer = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                    continue;
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset)
                {
                    // ICMP port unreachable: the client's port is closed, it will never ACK again.
                    _transfer.OnClientError();
                    break;
                }
                var datagram = receive.AsSpan(0, length);
                if (TftpPacketReader.TryReadAck(datagram, out var block))
                {
                    Execute(_transfer.OnAck(block, Now), send);
                }
                else if (TftpPacketReader.TryParse(datagram, out var packet, out _) && packet is TftpError)
                {
                    _transfer.OnClientError();
                }
                else
                {
                    metrics.Error("malformed");
                }
            }
            return _transfer.Outcome;
        }
        finally
        {
            timer.Dispose();
            ArrayPool<byte>.Shared.Return(send);
            ArrayPool<byte>.Shared.Return(receive);
        }
    }

    private TimeSpan Now => time.GetElapsedTime(_origin);

    private void Execute(TftpSend step, byte[] buffer)
    {
        switch (step.Kind)
        {
            case TftpSendKind.OptionAck:
                socket.Send(buffer.AsSpan(0, TftpPacketWriter.WriteOptionAck(buffer, negotiation.Acknowledged)));
                break;
            case TftpSendKind.Blocks:
                long bytes = 0;
                for (var block = step.FirstBlock; block < step.FirstBlock + step.Count; block++)
                {
                    TftpPacketWriter.WriteDataHeader(buffer, TftpTransfer.WireBlock(block));
                    var length = file.Read(_transfer.BlockOffset(block), buffer.AsSpan(TftpPacketWriter.DataHeaderLength, _transfer.BlockLength(block)));
                    socket.Send(buffer.AsSpan(0, TftpPacketWriter.DataHeaderLength + length));
                    bytes += length;
                }
                metrics.Bytes.Add(bytes);
                break;
        }
        if (_transfer.Retransmits != _retransmitsCounted)
        {
            metrics.Retransmits.Add(_transfer.Retransmits - _retransmitsCounted);
            _retransmitsCounted = _transfer.Retransmits;
        }
    }
}
