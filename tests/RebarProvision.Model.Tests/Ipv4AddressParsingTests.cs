using System.Net;
using CsCheck;

namespace RebarProvision.Model.Tests;

/// <summary>
/// Ipv4Network.TryParseAddress reads the canonical dotted form itself (no IPAddress allocated) and leaves every other
/// spelling to IPAddress.TryParse; these hold the two paths to one answer.
/// </summary>
public sealed class Ipv4AddressParsingTests
{
    [Fact]
    public void Every_formatted_address_parses_back_to_itself()
    {
        Gen.UInt.Sample(address =>
        {
            Assert.True(Ipv4Network.TryParseAddress(Ipv4Network.Format(address), out var parsed));
            Assert.Equal(address, parsed);
        }, iter: 20_000);
    }

    [Theory]
    [InlineData("10.0.0.5", true, 0x0A000005u)]
    [InlineData("255.255.255.255", true, 0xFFFFFFFFu)]
    [InlineData("0.0.0.0", true, 0u)]
    [InlineData("1.2.3.256", false, 0u)]
    [InlineData("1.2.3", false, 0u)]
    [InlineData("1..2.3", false, 0u)]
    [InlineData("1.2.3.4.", false, 0u)]
    [InlineData(".1.2.3", false, 0u)]
    [InlineData("1.2.3.4 ", false, 0u)]
    [InlineData("a.b.c.d", false, 0u)]
    [InlineData("", false, 0u)]
    [InlineData("::1", false, 0u)]
    public void Dotted_quads_parse_and_everything_else_is_refused(string text, bool valid, uint expected)
    {
        Assert.Equal(valid, Ipv4Network.TryParseAddress(text, out var parsed));
        Assert.Equal(expected, parsed);
    }

    [Fact]
    public void Any_short_string_of_digits_and_dots_gets_the_answer_IPAddress_would_give()
    {
        var text = Gen.Char["0123456789."].Array[1, 16].Select(chars => new string(chars));
        text.Sample(value =>
        {
            var expected = IPAddress.TryParse(value, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork &&
                value.Count(c => c == '.') == 3;
            Assert.Equal(expected, Ipv4Network.TryParseAddress(value, out var parsed));
            if (expected)
            {
                Span<byte> bytes = stackalloc byte[4];
                ip!.TryWriteBytes(bytes, out _);
                Assert.Equal(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes), parsed);
            }
        }, iter: 50_000);
    }

    [Fact]
    public void The_canonical_parser_accepts_exactly_what_Format_writes()
    {
        Gen.UInt.Sample(address =>
        {
            Assert.True(Ipv4Network.TryParseCanonical(Ipv4Network.Format(address), out var parsed));
            Assert.Equal(address, parsed);
        }, iter: 20_000);
        var text = Gen.Char["0123456789."].Array[1, 16].Select(chars => new string(chars));
        text.Sample(value =>
        {
            if (Ipv4Network.TryParseCanonical(value, out var parsed))
            {
                Assert.Equal(value, Ipv4Network.Format(parsed));
            }
        }, iter: 50_000);
    }
}
