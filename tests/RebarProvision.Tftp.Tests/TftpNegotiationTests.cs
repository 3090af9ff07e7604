namespace RebarProvision.Tftp.Tests;

public sealed class TftpNegotiationTests
{
    private static readonly TftpLimits Limits = new() { MaxBlockSize = 1468, MaxWindowSize = 16 };

    [Fact]
    public void Supported_options_are_acknowledged_and_tsize_reports_the_file_length()
    {
        var result = TftpNegotiation.Negotiate(
            [new("BLKSIZE", "1024"), new("tsize", "0"), new("windowsize", "8"), new("timeout", "3"), new("rollover", "0")], 12345, Limits);

        Assert.False(result.IsRefused);
        Assert.Equal(new TftpTransferSettings(1024, 8, TimeSpan.FromSeconds(3)), result.Settings);
        Assert.Equal([new("BLKSIZE", "1024"), new("tsize", "12345"), new("windowsize", "8"), new("timeout", "3")], result.Acknowledged);
    }

    [Fact]
    public void An_empty_file_is_not_announced_with_tsize_zero_which_curl_refuses()
    {
        Assert.Empty(TftpNegotiation.Negotiate([new("tsize", "0")], 0, Limits).Acknowledged);
    }

    [Fact]
    public void Values_above_what_we_allow_are_clamped()
    {
        var result = TftpNegotiation.Negotiate([new("blksize", "65464"), new("windowsize", "500")], 0, Limits);
        Assert.Equal([new("blksize", "1468"), new("windowsize", "16")], result.Acknowledged);
    }

    [Fact]
    public void A_timeout_above_our_maximum_is_left_out_of_the_oack_and_the_default_applies()
    {
        var result = TftpNegotiation.Negotiate([new("timeout", "255"), new("blksize", "1024")], 0, new TftpLimits());

        Assert.Equal([new("blksize", "1024")], result.Acknowledged);
        Assert.Equal(new TftpLimits().DefaultTimeout, result.Settings.Timeout);
    }

    [Theory]
    [InlineData("blksize", "7")]
    [InlineData("blksize", "big")]
    [InlineData("windowsize", "0")]
    [InlineData("timeout", "256")]
    [InlineData("tsize", "-1")]
    public void Invalid_values_refuse_the_negotiation(string name, string value)
    {
        Assert.True(TftpNegotiation.Negotiate([new(name, value)], 0, Limits).IsRefused);
    }

    [Fact]
    public void Without_options_there_is_no_oack_and_blocks_are_512_bytes()
    {
        var result = TftpNegotiation.Negotiate([new("multicast", "")], 10, Limits);
        Assert.Empty(result.Acknowledged);
        Assert.Equal(512, result.Settings.BlockSize);
        Assert.Equal(1, result.Settings.WindowSize);
    }

    [Fact]
    public void Netascii_turns_line_feeds_into_cr_lf_and_bare_cr_into_cr_nul()
    {
        Assert.Equal("a\r\nb\r\0c"u8.ToArray(), NetAscii.Encode("a\nb\rc"u8));
    }
}
