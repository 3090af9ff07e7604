using CsCheck;

namespace RebarProvision.Dhcp.Tests;

public sealed class DhcpMessagePropertyTests
{
    private static readonly Gen<byte[]> AnyBytes = Gen.Byte.Array[0, 1600];

    /// <summary>
    /// Random bytes behind a valid header and cookie, so the option walker is what gets exercised. Every byte comes
    /// from the generator (sname/file too), so a failure replays from its seed and shrinks.
    /// </summary>
    private static readonly Gen<byte[]> DhcpShaped = Gen.Select(Gen.Byte.Array[0, 700], Gen.Int[0, 2], Gen.Byte[0, 16], Gen.Byte.Array[192], (tail, overloadPlace, hlen, snameAndFile) =>
    {
        var packet = new byte[240 + tail.Length];
        packet[0] = 1;
        packet[1] = 1;
        packet[2] = hlen;
        packet[236] = 99; packet[237] = 130; packet[238] = 83; packet[239] = 99;
        tail.CopyTo(packet, 240);
        // Sometimes put options into sname/file as well.
        if (overloadPlace > 0 && tail.Length >= 3)
        {
            packet[240] = 52; packet[241] = 1; packet[242] = (byte)overloadPlace;
            snameAndFile.CopyTo(packet, 44);
        }
        return packet;
    });

    [Fact]
    public void Parsing_any_bytes_returns_a_message_or_a_reason_and_never_throws()
    {
        AnyBytes.Sample(bytes => { _ = DhcpMessage.TryParse(bytes, out _, out _); }, iter: 20_000);
        DhcpShaped.Sample(bytes => { _ = DhcpMessage.TryParse(bytes, out _, out _); }, iter: 20_000);
    }

    [Fact]
    public void Writing_a_parsed_message_and_parsing_it_again_gives_the_same_message()
    {
        DhcpShaped.Sample(bytes =>
        {
            if (!DhcpMessage.TryParse(bytes, out var message, out _))
            {
                return true;
            }
            var first = new byte[4096];
            if (!message.TryWrite(first, first.Length, out var firstLength))
            {
                // Only an over-long sname/file (no room for its NUL) or options beyond 4 KiB can refuse.
                return message.ServerName.Length >= 64 || message.BootFileName.Length >= 128 || message.Options.Items.Sum(o => o.Value.Length) > 3000;
            }
            if (!DhcpMessage.TryParse(first.AsSpan(0, firstLength), out var again, out _))
            {
                return false;
            }
            var second = new byte[4096];
            return again.TryWrite(second, second.Length, out var secondLength) &&
                first.AsSpan(0, firstLength).SequenceEqual(second.AsSpan(0, secondLength)) &&
                Same(message, again);
        }, iter: 5_000);
    }

    [Fact]
    public void Option_text_reads_back_as_the_same_bytes()
    {
        Gen.Byte.Array[0, 64].Select(Gen.Int[0, DhcpOptionTable.All.Count - 1]).Sample((value, index) =>
        {
            var definition = DhcpOptionTable.All[index];
            var text = definition.Format(value);
            // Formatting is total. Values that fit the type (not shown as the hex fallback) encode back to the same bytes.
            var hexFallback = definition.Type != DhcpOptionType.Bytes && text == string.Join(":", value.Select(b => b.ToString("x2")));
            if (hexFallback || definition.Type is DhcpOptionType.Text or DhcpOptionType.DomainList)
            {
                return true;
            }
            return definition.TryEncode(text, out var encoded) && encoded.AsSpan().SequenceEqual(value);
        }, iter: 5_000);
    }

    private static bool Same(DhcpMessage a, DhcpMessage b) =>
        a.TransactionId == b.TransactionId && a.Flags == b.Flags && a.ClientAddress == b.ClientAddress &&
        a.RelayAddress == b.RelayAddress && a.ClientHardwareAddress.AsSpan().SequenceEqual(b.ClientHardwareAddress) &&
        a.ServerName == b.ServerName && a.BootFileName == b.BootFileName &&
        a.Options.Items.Count == b.Options.Items.Count &&
        a.Options.Items.Zip(b.Options.Items).All(p => p.First.Code == p.Second.Code && p.First.Value.AsSpan().SequenceEqual(p.Second.Value));
}
