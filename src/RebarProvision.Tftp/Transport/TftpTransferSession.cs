using System.Buffers;
using System.Net.Sockets;

namespace RebarProvision.Tftp.Transport;

/// <summary>
/// Drives one <see cref="TftpTransfer"/> over its connected socket with pooled buffers. One timer per transfer
/// watches the deadline and cancels the pending receive only when it passes, so an ACK costs no timer update.
/// </summary>
internal sealed class TftpTransferSession : IDisposable
{
    /// <summary>Big enough for any ACK or ERROR a client sends us; longer error messages are cut, which is harmless.</summary>
    private const int ReceiveBufferSize = 600;

    private readonly Socket _socket;
    private readonly TftpFileResult _file;
    private readonly TftpNegotiation _negotiation;
    private readonly TimeProvider _time;
    private readonly TftpMetrics _metrics;
    private readonly CancellationToken _stopping;
    private readonly TftpTransfer _transfer;
    private readonly long _origin;
    private readonly ITimer _timer;
    private readonly int _stride;
    private readonly byte[] _window;
    private readonly int[] _lengths;
    private CancellationTokenSource _receive;
    private long _deadlineTicks = long.MaxValue;
    private long _retransmitsCounted;

    public TftpTransferSession(Socket socket, TftpFileResult file, TftpNegotiation negotiation, TftpRetransmitPolicy policy, TimeProvider time, TftpMetrics metrics, CancellationToken stopping)
    {
        _socket = socket;
        _file = file;
        _negotiation = negotiation;
        _time = time;
        _metrics = metrics;
        _stopping = stopping;
        var optionAckLength = negotiation.Acknowledged.Count > 0 ? TftpPacketWriter.GetLength(new TftpOptionAck(negotiation.Acknowledged)) : 0;
        _transfer = new TftpTransfer(file.Length, negotiation.Settings, optionAckLength, policy);
        _origin = time.GetTimestamp();
        _receive = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        // One buffer holds a whole window, packet i at i * stride, so it can leave in one sendmmsg.
        _stride = TftpPacketWriter.DataHeaderLength + Math.Max(negotiation.Settings.BlockSize, optionAckLength);
        var windowBlocks = (int)Math.Min(negotiation.Settings.WindowSize, _transfer.BlockCount);
        _window = ArrayPool<byte>.Shared.Rent(_stride * windowBlocks);
        _lengths = ArrayPool<int>.Shared.Rent(windowBlocks);
        _timer = time.CreateTimer(static state => ((TftpTransferSession)state!).OnTick(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    private TimeSpan Now => _time.GetElapsedTime(_origin);

    public async Task<TftpTransferOutcome> RunAsync()
    {
        var receive = ArrayPool<byte>.Shared.Rent(ReceiveBufferSize);
        try
        {
            Execute(_transfer.Start(Now));
            Arm();
            while (_transfer.Outcome == TftpTransferOutcome.InProgress)
            {
                int length;
                try
                {
                    length = await _socket.ReceiveAsync(receive.AsMemory(), SocketFlags.None, _receive.Token);
                }
                catch (OperationCanceledException)
                {
                    if (_stopping.IsCancellationRequested)
                    {
                        return TftpTransferOutcome.InProgress;
                    }
                    _receive.Dispose();
                    _receive = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
                    Execute(_transfer.OnTimer(Now));
                    Arm();
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
                    Execute(_transfer.OnAck(block, Now));
                }
                else if (TftpPacketReader.TryParse(datagram, out var packet, out _) && packet is TftpError)
                {
                    _transfer.OnClientError();
                }
                else
                {
                    _metrics.Error("malformed");
                }
            }
            return _transfer.Outcome;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(receive);
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        _receive.Dispose();
        ArrayPool<byte>.Shared.Return(_window);
        ArrayPool<int>.Shared.Return(_lengths);
    }

    /// <summary>Sets the timer for the current deadline; ACKs only move <see cref="_deadlineTicks"/>.</summary>
    private void Arm()
    {
        if (_transfer.Outcome != TftpTransferOutcome.InProgress)
        {
            return;
        }
        var wait = _transfer.Deadline - Now;
        _timer.Change(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    private void OnTick()
    {
        var deadline = Volatile.Read(ref _deadlineTicks);
        if (deadline == TimeSpan.MaxValue.Ticks)
        {
            return;
        }
        var wait = TimeSpan.FromTicks(deadline) - Now;
        try
        {
            if (wait <= TimeSpan.Zero)
            {
                // The receive loop asks the state machine, which decides whether this really is a timeout.
                _receive.Cancel();
            }
            else
            {
                _timer.Change(wait, Timeout.InfiniteTimeSpan);
            }
        }
        catch (ObjectDisposedException)
        {
            // The transfer ended while the timer fired.
        }
    }

    private void Execute(TftpSend step)
    {
        switch (step.Kind)
        {
            case TftpSendKind.OptionAck:
                _socket.Send(_window.AsSpan(0, TftpPacketWriter.WriteOptionAck(_window, _negotiation.Acknowledged)));
                break;
            case TftpSendKind.Blocks:
                long bytes = 0;
                for (var i = 0; i < step.Count; i++)
                {
                    var block = step.FirstBlock + i;
                    var packet = _window.AsSpan(i * _stride, _stride);
                    TftpPacketWriter.WriteDataHeader(packet, TftpTransfer.WireBlock(block));
                    var length = _file.Read(_transfer.BlockOffset(block), packet.Slice(TftpPacketWriter.DataHeaderLength, _transfer.BlockLength(block)));
                    _lengths[i] = TftpPacketWriter.DataHeaderLength + length;
                    bytes += length;
                }
                DatagramBatch.Send(_socket, _window, _stride, _lengths.AsSpan(0, step.Count));
                _metrics.Bytes.Add(bytes);
                break;
        }
        Volatile.Write(ref _deadlineTicks, _transfer.Deadline.Ticks);
        if (_transfer.Retransmits != _retransmitsCounted)
        {
            _metrics.Retransmits.Add(_transfer.Retransmits - _retransmitsCounted);
            _retransmitsCounted = _transfer.Retransmits;
        }
    }
}
