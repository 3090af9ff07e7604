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

    private readonly TftpRetransmitPolicy _policy;
    private readonly int _optionAckLength;
    private bool _awaitingOptionAck;
    private bool _answered;
    private long _unansweredBudget;
    private TimeSpan _lastProgress;
    private long _acked;
    private long _sent;
    private int _retries;

    /// <param name="length">bytes to send (after any netascii conversion)</param>
    /// <param name="settings">negotiated block size, window size and timeout</param>
    /// <param name="optionAckLength">
    /// the OACK's length on the wire when options were acknowledged: it goes first and DATA waits for ACK 0 (RFC 2347);
    /// 0 when there is no OACK and DATA 1 goes first
    /// </param>
    /// <param name="policy">when to give up, and how much may be resent before the client answers</param>
    public TftpTransfer(long length, TftpTransferSettings settings, int optionAckLength, TftpRetransmitPolicy policy)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfNegative(optionAckLength);
        Length = length;
        Settings = settings;
        _optionAckLength = optionAckLength;
        _awaitingOptionAck = optionAckLength > 0;
        _policy = policy;
        _unansweredBudget = policy.UnansweredBudget;
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
        _lastProgress = now;
        if (_awaitingOptionAck)
        {
            Deadline = NextDeadline(now, Settings.Timeout);
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
            Progress(now);
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
        Progress(now);
        if (_acked == BlockCount)
        {
            return End(TftpTransferOutcome.Completed);
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
        if (_retries > _policy.MaxRetries || now - _lastProgress >= _policy.MaxSilence)
        {
            return End(TftpTransferOutcome.TimedOut);
        }
        var resend = _awaitingOptionAck
            ? new TftpSend(TftpSendKind.OptionAck, 0, 0, true)
            : new TftpSend(TftpSendKind.Blocks, _acked + 1, (int)(_sent - _acked), true);
        if (!_answered)
        {
            // The request's source address may be forged: until the client acknowledges something, resend no more
            // bytes than its request held, so we never amplify traffic towards a victim.
            var cost = resend.Kind == TftpSendKind.OptionAck ? _optionAckLength : WireLength(resend);
            if (cost > _unansweredBudget)
            {
                return End(TftpTransferOutcome.Unanswered);
            }
            _unansweredBudget -= cost;
        }
        Deadline = NextDeadline(now, Settings.Timeout * (1 << Math.Min(_retries, MaxBackoffDoublings)));
        Retransmits += resend.Kind == TftpSendKind.OptionAck ? 1 : resend.Count;
        return resend;
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
        Deadline = NextDeadline(now, Settings.Timeout);
        return new TftpSend(TftpSendKind.Blocks, first, count, isRetransmit);
    }

    private void Progress(TimeSpan now)
    {
        _answered = true;
        _retries = 0;
        _lastProgress = now;
    }

    /// <summary>The next timer, never later than the moment the silence limit ends the transfer.</summary>
    private TimeSpan NextDeadline(TimeSpan now, TimeSpan wait) =>
        TimeSpan.FromTicks(Math.Min((now + wait).Ticks, (_lastProgress + _policy.MaxSilence).Ticks));

    /// <summary>DATA packets on the wire: a header per block (RFC 1350 §5) and the block.</summary>
    private long WireLength(TftpSend send)
    {
        long bytes = 0;
        for (var block = send.FirstBlock; block < send.FirstBlock + send.Count; block++)
        {
            bytes += TftpPacketWriter.DataHeaderLength + BlockLength(block);
        }
        return bytes;
    }

    private TftpSend End(TftpTransferOutcome outcome)
    {
        Outcome = outcome;
        Deadline = TimeSpan.MaxValue;
        return TftpSend.Nothing;
    }
}
