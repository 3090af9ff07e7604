namespace RebarProvision.Tftp.Tests;

public sealed class TftpTransferTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    private static TftpTransfer Transfer(long length, int blockSize = 512, int window = 1, bool oack = false, int retries = 3) =>
        Transfer(length, new TftpRetransmitPolicy(retries, TimeSpan.FromMinutes(10), int.MaxValue), blockSize, window, oack);

    private static TftpTransfer Transfer(long length, TftpRetransmitPolicy policy, int blockSize = 512, int window = 1, bool oack = false) =>
        new(length, new TftpTransferSettings(blockSize, window, Second), oack ? 30 : 0, policy);

    [Theory]
    [InlineData(0, 1, 0)]
    [InlineData(511, 1, 511)]
    [InlineData(512, 2, 0)]
    [InlineData(1024, 3, 0)]
    [InlineData(1025, 3, 1)]
    public void A_file_ends_with_a_short_block_which_is_empty_for_multiples_of_the_block_size(long length, long blocks, int lastLength)
    {
        var transfer = Transfer(length);
        Assert.Equal(blocks, transfer.BlockCount);
        Assert.Equal(lastLength, transfer.BlockLength(blocks));
    }

    [Fact]
    public void Each_ack_releases_the_next_block_until_the_last_completes_the_transfer()
    {
        var transfer = Transfer(1000);
        Assert.Equal(new TftpSend(TftpSendKind.Blocks, 1, 1, false), transfer.Start(TimeSpan.Zero));
        Assert.Equal(new TftpSend(TftpSendKind.Blocks, 2, 1, false), transfer.OnAck(1, TimeSpan.Zero));
        Assert.Equal(TftpSend.Nothing, transfer.OnAck(2, TimeSpan.Zero));
        Assert.Equal(TftpTransferOutcome.Completed, transfer.Outcome);
    }

    [Fact]
    public void A_duplicate_ack_does_not_retransmit()
    {
        var transfer = Transfer(5000);
        transfer.Start(TimeSpan.Zero);
        transfer.OnAck(1, TimeSpan.Zero);
        // The Sorcerer's Apprentice: a delayed duplicate of ACK 1 must not resend block 2.
        Assert.Equal(TftpSend.Nothing, transfer.OnAck(1, TimeSpan.Zero));
        Assert.Equal(0, transfer.Retransmits);
        Assert.Equal(new TftpSend(TftpSendKind.Blocks, 3, 1, false), transfer.OnAck(2, TimeSpan.Zero));
    }

    [Fact]
    public void A_timeout_resends_the_window_with_backoff_and_gives_up_after_the_retries()
    {
        var transfer = Transfer(5000, window: 4, retries: 2);
        transfer.Start(TimeSpan.Zero);
        Assert.Equal(TftpSend.Nothing, transfer.OnTimer(TimeSpan.FromMilliseconds(999)));
        Assert.Equal(new TftpSend(TftpSendKind.Blocks, 1, 4, true), transfer.OnTimer(Second));
        Assert.Equal(Second * 3, transfer.Deadline);
        Assert.Equal(new TftpSend(TftpSendKind.Blocks, 1, 4, true), transfer.OnTimer(Second * 3));
        Assert.Equal(Second * 7, transfer.Deadline);
        Assert.Equal(TftpSend.Nothing, transfer.OnTimer(Second * 7));
        Assert.Equal(TftpTransferOutcome.TimedOut, transfer.Outcome);
        Assert.Equal(8, transfer.Retransmits);
    }

    [Fact]
    public void Progress_resets_the_retry_count()
    {
        var transfer = Transfer(5000, retries: 1);
        transfer.Start(TimeSpan.Zero);
        transfer.OnTimer(Second);
        transfer.OnAck(1, Second);
        Assert.Equal(new TftpSend(TftpSendKind.Blocks, 2, 1, true), transfer.OnTimer(Second * 2));
        Assert.Equal(TftpTransferOutcome.InProgress, transfer.Outcome);
    }

    [Fact]
    public void A_window_is_sent_whole_and_a_partial_ack_restarts_after_the_gap()
    {
        var transfer = Transfer(100 * 512, window: 16);
        Assert.Equal(new TftpSend(TftpSendKind.Blocks, 1, 16, false), transfer.Start(TimeSpan.Zero));
        Assert.Equal(new TftpSend(TftpSendKind.Blocks, 17, 16, false), transfer.OnAck(16, TimeSpan.Zero));
        Assert.Equal(new TftpSend(TftpSendKind.Blocks, 21, 16, true), transfer.OnAck(20, TimeSpan.Zero));
        Assert.Equal(TftpSend.Nothing, transfer.OnAck(40, TimeSpan.Zero));
    }

    [Fact]
    public void With_options_the_transfer_opens_with_an_oack_and_waits_for_ack_zero()
    {
        var transfer = Transfer(100, oack: true);
        Assert.Equal(TftpSendKind.OptionAck, transfer.Start(TimeSpan.Zero).Kind);
        Assert.Equal(TftpSend.Nothing, transfer.OnAck(1, TimeSpan.Zero));
        Assert.Equal(TftpSendKind.OptionAck, transfer.OnTimer(Second).Kind);
        Assert.Equal(new TftpSend(TftpSendKind.Blocks, 1, 1, false), transfer.OnAck(0, Second));
    }

    [Fact]
    public void Block_numbers_roll_over_past_65535_and_the_transfer_continues()
    {
        var transfer = Transfer(70_000L * 8, blockSize: 8, window: 1);
        transfer.Start(TimeSpan.Zero);
        for (long block = 1; block < 70_000; block++)
        {
            var send = transfer.OnAck(TftpTransfer.WireBlock(block), TimeSpan.Zero);
            Assert.Equal(block + 1, send.FirstBlock);
        }
        Assert.Equal(0, TftpTransfer.WireBlock(65536));
        transfer.OnAck(TftpTransfer.WireBlock(70_000), TimeSpan.Zero);
        transfer.OnAck(TftpTransfer.WireBlock(70_001), TimeSpan.Zero);
        Assert.Equal(TftpTransferOutcome.Completed, transfer.Outcome);
    }

    [Fact]
    public void A_client_error_ends_the_transfer()
    {
        var transfer = Transfer(100);
        transfer.Start(TimeSpan.Zero);
        transfer.OnClientError();
        Assert.Equal(TftpTransferOutcome.ClientError, transfer.Outcome);
        Assert.Equal(TftpSend.Nothing, transfer.OnTimer(Second * 100));
    }

    [Fact]
    public void Thirty_seconds_without_progress_end_a_transfer_whatever_its_retries_and_timeout()
    {
        var transfer = new TftpTransfer(1_000_000, new TftpTransferSettings(512, 1, Second * 10), 0, new TftpRetransmitPolicy(100, Second * 30, int.MaxValue));
        transfer.Start(TimeSpan.Zero);
        transfer.OnAck(1, Second * 5);
        var sends = 0;
        while (transfer.Outcome == TftpTransferOutcome.InProgress)
        {
            Assert.True(transfer.Deadline <= Second * 35, $"a timer at {transfer.Deadline}");
            sends += transfer.OnTimer(transfer.Deadline).Count;
        }

        Assert.Equal(TftpTransferOutcome.TimedOut, transfer.Outcome);
        // One resend at 15 s; the back-off's next timer is cut short to 35 s, where 30 s of silence end it.
        Assert.Equal(1, sends);
    }

    [Fact]
    public void Before_the_first_ack_retransmissions_never_add_up_to_more_bytes_than_the_request()
    {
        // A 20-byte request: DATA 1 (4 + 512 bytes) is never sent again to an address that has not answered.
        var data = Transfer(5000, new TftpRetransmitPolicy(5, Second * 30, 20));
        data.Start(TimeSpan.Zero);
        Assert.Equal(TftpSend.Nothing, data.OnTimer(Second));
        Assert.Equal(TftpTransferOutcome.Unanswered, data.Outcome);

        // A 70-byte request with options: the 30-byte OACK goes again twice (60 bytes), not a third time.
        var oack = Transfer(5000, new TftpRetransmitPolicy(5, Second * 30, 70), oack: true);
        oack.Start(TimeSpan.Zero);
        Assert.Equal(TftpSendKind.OptionAck, oack.OnTimer(oack.Deadline).Kind);
        Assert.Equal(TftpSendKind.OptionAck, oack.OnTimer(oack.Deadline).Kind);
        Assert.Equal(TftpSend.Nothing, oack.OnTimer(oack.Deadline));
        Assert.Equal(TftpTransferOutcome.Unanswered, oack.Outcome);
    }

    [Fact]
    public void Once_the_client_has_acknowledged_a_block_lost_blocks_are_resent_in_full()
    {
        var transfer = Transfer(100 * 512, new TftpRetransmitPolicy(5, Second * 30, 20), window: 8);
        transfer.Start(TimeSpan.Zero);
        transfer.OnAck(8, TimeSpan.Zero);
        Assert.Equal(new TftpSend(TftpSendKind.Blocks, 9, 8, true), transfer.OnTimer(transfer.Deadline));
    }
}
