namespace RebarProvision.Tftp;

/// <summary>
/// The sending side of one read transfer as a pure state machine: no sockets, no clock. The transport feeds it ACKs
/// and timer ticks with the current time and sends what it answers. Blocks are numbered absolutely from 1 (a
/// <see cref="long"/>), so a transfer past 65535 blocks rolls the 16-bit wire number over to 0 and keeps going.
/// </summary>
public sealed class TftpTransfer
{
    /// <summary>Back-off doubles the timeout per retry up to this many doublings (RFC 1123 §4.2.3.2).</summary>
    private const int MaxBackoffDoublings = 3;

    private readonly int _maxRetries;
    private bool _awaitingOptionAck;
    private long _acked;
    private long _sent;
    private int _retries;

    /// <param name="length">bytes to send (after any netascii conversion)</param>
    /// <param name="settings">negotiated block size, window size and timeout</param>
    /// <param name="startWithOptionAck">options were acknowledged: send OACK and wait for ACK 0 first (RFC 2347)</param>
    /// <param name="maxRetries">timeouts in a row without progress before giving up</param>
    public TftpTransfer(long length, TftpTransferSettings settings, bool startWithOptionAck, int maxRetries)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        Settings = settings;
        _awaitingOptionAck = startWithOptionAck;
        _maxRetries = maxRetries;
        // RFC 1350 §6: a block shorter than blksize ends the transfer, so a length that is a multiple of blksize
        // (zero included) ends with an empty block.
        BlockCount = length / settings.BlockSize + 1;
    }

    public long Length { get; }

    public TftpTransferSettings Settings { get; }

    /// <summary>DATA blocks in the transfer, the final short (possibly empty) one included.</summary>
    public long BlockCount { get; }

    public TftpTransferOutcome Outcome { get; private set; } = TftpTransferOutcome.InProgress;

    /// <summary>When <see cref="OnTimer"/> should be called next, on the caller's time line.</summary>
    public TimeSpan Deadline { get; private set; } = TimeSpan.MaxValue;

    /// <summary>Blocks (and OACKs) sent again because of a timeout.</summary>
    public long Retransmits { get; private set; }

    public long AcknowledgedBlocks => _acked;

    public static ushort WireBlock(long block) => unchecked((ushort)block);

    public long BlockOffset(long block) => (block - 1) * Settings.BlockSize;

    public int BlockLength(long block) => (int)Math.Min(Settings.BlockSize, Length - BlockOffset(block));

    public TftpSend Start(TimeSpan now)
    {
        if (_awaitingOptionAck)
        {
            Deadline = now + Settings.Timeout;
            return new TftpSend(TftpSendKind.OptionAck, 0, 0, false);
        }
        return SendWindow(now, isRetransmit: false);
    }

    public TftpSend OnAck(ushort block, TimeSpan now)
    {
        if (Outcome != TftpTransferOutcome.InProgress)
        {
            return TftpSend.Nothing;
        }
        if (_awaitingOptionAck)
        {
            if (block != 0)
            {
                return TftpSend.Nothing;
            }
            _awaitingOptionAck = false;
            _retries = 0;
            return SendWindow(now, isRetransmit: false);
        }
        // The ACK names a block modulo 65536; it can only refer to one of the blocks in flight.
        var advance = (ushort)(block - WireBlock(_acked));
        if (advance == 0 || advance > _sent - _acked)
        {
            // RFC 1123 §4.2.3.1: a duplicate (or stale) ACK must not trigger a retransmission, or every
            // delayed ACK doubles the traffic (Sorcerer's Apprentice). Our timer resends if nothing moves.
            return TftpSend.Nothing;
        }
        _acked += advance;
        _retries = 0;
        if (_acked == BlockCount)
        {
            Outcome = TftpTransferOutcome.Completed;
            Deadline = TimeSpan.MaxValue;
            return TftpSend.Nothing;
        }
        // RFC 7440 §4: an ACK short of the window's end reports a gap; the next window starts after it.
        return SendWindow(now, isRetransmit: _acked < _sent);
    }

    public TftpSend OnTimer(TimeSpan now)
    {
        if (Outcome != TftpTransferOutcome.InProgress || now < Deadline)
        {
            return TftpSend.Nothing;
        }
        _retries++;
        if (_retries > _maxRetries)
        {
            Outcome = TftpTransferOutcome.TimedOut;
            Deadline = TimeSpan.MaxValue;
            return TftpSend.Nothing;
        }
        Deadline = now + Settings.Timeout * (1 << Math.Min(_retries, MaxBackoffDoublings));
        if (_awaitingOptionAck)
        {
            Retransmits++;
            return new TftpSend(TftpSendKind.OptionAck, 0, 0, true);
        }
        var count = (int)(_sent - _acked);
        Retransmits += count;
        return new TftpSend(TftpSendKind.Blocks, _acked + 1, count, true);
    }

    /// <summary>The client sent ERROR: the transfer ends at once (RFC 1350 §7).</summary>
    public void OnClientError()
    {
        if (Outcome == TftpTransferOutcome.InProgress)
        {
            Outcome = TftpTransferOutcome.ClientError;
            Deadline = TimeSpan.MaxValue;
        }
    }

    private TftpSend SendWindow(TimeSpan now, bool isRetransmit)
    {
        var first = _acked + 1;
        var count = (int)Math.Min(Settings.WindowSize, BlockCount - _acked);
        var previouslySent = _sent;
        _sent = _acked + count;
        if (isRetransmit)
        {
            Retransmits += Math.Min(count, Math.Max(0, previouslySent - _acked));
        }
        Deadline = now + Settings.Timeout;
        return new TftpSend(TftpSendKind.Blocks, first, count, isRetransmit);
    }
}
