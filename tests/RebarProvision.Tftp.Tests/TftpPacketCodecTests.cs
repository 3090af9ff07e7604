using System.Text;
using CsCheck;

namespace RebarProvision.Tftp.Tests;

public sealed class TftpPacketCodecTests
{
    [Fact]
    public void A_read_request_from_tftp_hpa_parses_with_its_options()
    {
        var bytes = Bytes("\0\u0001pxelinux.0\0octet\0blksize\01468\0tsize\00\0");

        Assert.True(TftpPacketReader.TryParse(bytes, out var packet, out _));

        var request = Assert.IsType<TftpRequest>(packet);
        Assert.False(request.IsWrite);
        Assert.Equal("pxelinux.0", request.Filename);
        Assert.Equal(TftpMode.Octet, request.Mode);
        Assert.Equal([new TftpOption("blksize", "1468"), new TftpOption("tsize", "0")], request.Options);
    }

    [Fact]
    public void Mode_names_are_case_insensitive()
    {
        Assert.True(TftpPacketReader.TryParse(Bytes("\0\u0001f\0NetASCII\0"), out var packet, out _));
        Assert.Equal(TftpMode.NetAscii, ((TftpRequest)packet).Mode);
    }

    [Theory]
    [InlineData("\0", TftpParseError.TooShort)]
    [InlineData("\0\u0009xx", TftpParseError.UnknownOpcode)]
    [InlineData("\0\u0001file", TftpParseError.UnterminatedString)]
    [InlineData("\0\u0001\0octet\0", TftpParseError.EmptyFilename)]
    [InlineData("\0\u0001f\0binary\0", TftpParseError.UnknownMode)]
    [InlineData("\0\u0001f\0octet\0blksize\0", TftpParseError.OptionWithoutValue)]
    [InlineData("\0\u0004\0", TftpParseError.TooShort)]
    public void Malformed_packets_are_refused_with_a_reason(string raw, TftpParseError expected)
    {
        Assert.False(TftpPacketReader.TryParse(Bytes(raw), out _, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void An_error_packet_is_written_as_rfc_1350_lays_it_out()
    {
        var buffer = new byte[64];
        var length = TftpPacketWriter.WriteError(buffer, TftpErrorCode.FileNotFound, "File not found");
        Assert.Equal(Bytes("\0\u0005\0\u0001File not found\0"), buffer[..length]);
    }

    [Fact]
    public void A_padded_ack_still_reads_its_block_number()
    {
        Assert.True(TftpPacketReader.TryReadAck(Bytes("\0\u0004\u0001\u0002\0\0"), out var block));
        Assert.Equal(0x0102, block);
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        Gen.Byte.Array[0, 600].Sample(bytes =>
        {
            var parsed = TftpPacketReader.TryParse(bytes, out var packet, out var error);
            Assert.Equal(parsed, error == TftpParseError.None);
            Assert.Equal(parsed, packet is not null);
        }, iter: 20_000);
    }

    [Fact]
    public void Random_requests_starting_with_a_valid_header_never_throw()
    {
        Gen.Select(Gen.Byte[1, 6], Gen.Byte.Array[0, 200]).Sample((opcode, tail) =>
        {
            var parsed = TftpPacketReader.TryParse([0, opcode, .. tail], out _, out var error);
            Assert.Equal(parsed, error == TftpParseError.None);
        }, iter: 20_000);
    }

    [Fact]
    public void Every_packet_round_trips_through_writer_and_reader()
    {
        Generator.Sample(packet =>
        {
            var buffer = new byte[TftpPacketWriter.GetLength(packet)];
            Assert.True(TftpPacketWriter.TryWrite(packet, buffer, out var written));
            Assert.Equal(buffer.Length, written);
            Assert.True(TftpPacketReader.TryParse(buffer, out var parsed, out var error), error.ToString());
            Assert.Equal(packet, parsed);
        }, iter: 5_000);
    }

    [Fact]
    public void A_writer_refuses_a_buffer_that_is_too_small()
    {
        Assert.False(TftpPacketWriter.TryWrite(new TftpError(TftpErrorCode.NotDefined, "too long"), new byte[5], out _));
    }

    private static readonly Gen<string> Text = Gen.String[Gen.Char.AlphaNumeric, 1, 40];

    private static readonly Gen<TftpOption[]> Options = Gen.Select(Text, Gen.String[Gen.Char.AlphaNumeric, 0, 10], (n, v) => new TftpOption(n, v)).Array[0, 5];

    private static readonly Gen<TftpPacket> Generator = Gen.OneOf<TftpPacket>(
        Gen.Select(Gen.Bool, Text, Gen.Enum<TftpMode>(), Options, (w, f, m, o) => (TftpPacket)new TftpRequest(w, f, m, o)),
        Gen.Select(Gen.UShort, Gen.Byte.Array[0, 1500], (b, d) => (TftpPacket)new TftpData(b, d)),
        Gen.UShort.Select(b => (TftpPacket)new TftpAck(b)),
        Gen.Select(Gen.Enum<TftpErrorCode>(), Gen.String[Gen.Char.AlphaNumeric, 0, 40], (c, m) => (TftpPacket)new TftpError(c, m)),
        Options.Select(o => (TftpPacket)new TftpOptionAck(o)));

    private static byte[] Bytes(string raw) => Encoding.Latin1.GetBytes(raw);
}
