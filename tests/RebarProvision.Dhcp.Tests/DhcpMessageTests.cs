using System.Text;

namespace RebarProvision.Dhcp.Tests;

public sealed class DhcpMessageTests
{
    [Fact]
    public void A_dhclient_discover_reads_its_header_and_options()
    {
        var message = GoldenPacket.Parse("dhclient-discover");

        Assert.Equal(DhcpOperation.BootRequest, message.Operation);
        Assert.Equal(0x3903f326u, message.TransactionId);
        Assert.Equal("52:54:00:12:34:56", message.ClientMac);
        Assert.Equal(DhcpMessageType.Discover, message.MessageType);
        Assert.Equal("node1", message.Options.GetText(DhcpOptionCode.HostName));
        Assert.Equal(new byte[] { 1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42 }, message.Options.Get(DhcpOptionCode.ParameterRequestList));
        Assert.False(message.Broadcast);
    }

    [Fact]
    public void A_udhcpc_discover_carries_its_client_id_and_maximum_size()
    {
        var message = GoldenPacket.Parse("udhcpc-discover");

        Assert.Equal((ushort)576, message.Options.GetUInt16(DhcpOptionCode.MaxMessageSize));
        Assert.Equal("udhcp 1.36.1", message.Options.GetText(DhcpOptionCode.VendorClass));
        Assert.Equal("01:52:54:00:12:34:56", DhcpOptionTable.Find(DhcpOptionCode.ClientIdentifier).Format(message.Options.Get(DhcpOptionCode.ClientIdentifier)));
    }

    [Fact]
    public void A_relayed_request_keeps_giaddr_hops_and_option_82()
    {
        var message = GoldenPacket.Parse("relayed-init-reboot-request");

        Assert.Equal("10.1.0.1", DhcpOptionDefinition.FormatAddress(message.RelayAddress));
        Assert.Equal(1, message.Hops);
        Assert.Equal("10.1.0.50", DhcpOptionDefinition.FormatAddress(message.Options.GetAddress(DhcpOptionCode.RequestedAddress)!.Value));
        Assert.Equal(14, message.Options.Get(DhcpOptionCode.RelayAgentInformation)!.Length);
    }

    [Fact]
    public void Unknown_options_are_passed_through_unchanged()
    {
        var message = GoldenPacket.Parse("ipxe-bios-discover");
        var ipxeEncapsulated = message.Options.Get(175)!;

        var reparsed = RoundTrip(message, 1500);

        Assert.Equal(ipxeEncapsulated, reparsed.Options.Get(175));
        Assert.Equal(message.Options.Items.Select(o => o.Code), reparsed.Options.Items.Select(o => o.Code));
    }

    [Theory]
    [InlineData("dhclient-discover")]
    [InlineData("udhcpc-discover")]
    [InlineData("ipxe-bios-discover")]
    [InlineData("bios-pxe-discover")]
    [InlineData("ovmf-uefi-pxe-discover")]
    [InlineData("ovmf-uefi-http-discover")]
    [InlineData("relayed-init-reboot-request")]
    public void Golden_packets_are_written_back_byte_for_byte(string name)
    {
        var bytes = GoldenPacket.Load(name);
        Assert.True(DhcpMessage.TryParse(bytes, out var message, out _));

        var buffer = new byte[1500];
        Assert.True(message.TryWrite(buffer, 1500, out var written));

        Assert.Equal(Convert.ToHexString(bytes), Convert.ToHexString(buffer, 0, written));
    }

    [Fact]
    public void Short_replies_are_padded_to_the_300_bytes_of_BOOTP()
    {
        var message = new DhcpMessage { Operation = DhcpOperation.BootReply };
        message.Options.SetByte(DhcpOptionCode.MessageType, (byte)DhcpMessageType.Offer);

        var buffer = new byte[1500];
        Assert.True(message.TryWrite(buffer, 1500, out var written));

        Assert.Equal(300, written);
        Assert.Equal(DhcpOptionCode.End, buffer[243]);
    }

    [Fact]
    public void Options_beyond_the_options_field_overflow_into_file_and_sname()
    {
        var message = new DhcpMessage { Operation = DhcpOperation.BootReply };
        message.Options.SetByte(DhcpOptionCode.MessageType, (byte)DhcpMessageType.Ack);
        message.Options.Set(DhcpOptionCode.HostName, Encoding.ASCII.GetBytes(new string('h', 200)));
        message.Options.Set(DhcpOptionCode.DomainName, Encoding.ASCII.GetBytes(new string('d', 150)));
        message.Options.Set(DhcpOptionCode.VendorSpecific, new byte[100]);

        var buffer = new byte[1500];
        Assert.True(message.TryWrite(buffer, DhcpMessage.DefaultMaxLength, out var written));

        Assert.True(written <= DhcpMessage.DefaultMaxLength);
        Assert.Equal(new byte[] { DhcpOptionCode.Overload, 1 }, buffer[240..242]);
        Assert.True(DhcpMessage.TryParse(buffer.AsSpan(0, written), out var parsed, out _));
        Assert.Equal(new string('h', 200), parsed.Options.GetText(DhcpOptionCode.HostName));
        Assert.Equal(new string('d', 150), parsed.Options.GetText(DhcpOptionCode.DomainName));
        Assert.Equal(100, parsed.Options.Get(DhcpOptionCode.VendorSpecific)!.Length);
        Assert.False(parsed.Options.Contains(DhcpOptionCode.Overload));
    }

    [Fact]
    public void A_reply_that_cannot_fit_the_clients_maximum_size_is_refused()
    {
        var message = new DhcpMessage { Operation = DhcpOperation.BootReply, BootFileName = "f", ServerName = "s" };
        message.Options.Set(DhcpOptionCode.VendorSpecific, new byte[400]);

        Assert.False(message.TryWrite(new byte[1500], DhcpMessage.DefaultMaxLength, out _));
        Assert.True(message.TryWrite(new byte[1500], 1472, out _));
    }

    [Fact]
    public void Options_longer_than_255_bytes_are_split_and_concatenated_again()
    {
        var route = string.Join(", ", Enumerable.Range(1, 40).Select(i => $"10.{i}.0.0/16 10.0.0.1"));
        Assert.True(DhcpOptionTable.TryEncode(DhcpOptionCode.ClasslessStaticRoute, route, out var value));
        Assert.True(value.Length > 255);
        var message = new DhcpMessage { Operation = DhcpOperation.BootReply };
        message.Options.Set(DhcpOptionCode.ClasslessStaticRoute, value);

        var buffer = new byte[1500];
        Assert.True(message.TryWrite(buffer, 1500, out var written));

        Assert.Equal(DhcpOptionCode.ClasslessStaticRoute, buffer[240]);
        Assert.Equal(255, buffer[241]);
        Assert.Equal(DhcpOptionCode.ClasslessStaticRoute, buffer[242 + 255]);
        Assert.True(DhcpMessage.TryParse(buffer.AsSpan(0, written), out var parsed, out _));
        Assert.Equal(route, DhcpOptionTable.Find(DhcpOptionCode.ClasslessStaticRoute).Format(parsed.Options.Get(DhcpOptionCode.ClasslessStaticRoute)));
    }

    [Fact]
    public void The_client_maximum_message_size_bounds_the_reply_length()
    {
        var request = GoldenPacket.Parse("ovmf-uefi-pxe-discover");
        Assert.Equal(1472 - 28, DhcpMessage.MaxReplyLength(request));
        Assert.Equal(576 - 28, DhcpMessage.MaxReplyLength(GoldenPacket.Parse("dhclient-discover")));
    }

    [Theory]
    [InlineData(0, DhcpParseError.TooShort)]
    [InlineData(239, DhcpParseError.TooShort)]
    public void Short_datagrams_are_refused_with_a_reason(int length, DhcpParseError expected)
    {
        Assert.False(DhcpMessage.TryParse(new byte[length], out _, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Malformed_fields_are_refused_with_a_reason()
    {
        var good = GoldenPacket.Load("dhclient-discover");

        Assert.Equal(DhcpParseError.BadOperation, ErrorOf(good, b => b[0] = 3));
        Assert.Equal(DhcpParseError.BadHardwareLength, ErrorOf(good, b => b[2] = 17));
        Assert.Equal(DhcpParseError.MissingMagicCookie, ErrorOf(good, b => b[236] = 0));
        Assert.Equal(DhcpParseError.TruncatedOption, ErrorOf(good.AsSpan(0, 246).ToArray(), _ => { }));
        Assert.Equal(DhcpParseError.BadOverload, ErrorOf(good, b => { b[240] = 52; b[241] = 1; b[242] = 9; }));
    }

    [Fact]
    public void Overloaded_fields_are_read_after_the_options_field()
    {
        var bytes = GoldenPacket.Load("dhclient-discover");
        // Option 52 = 3 (file and sname) replacing 53's slot; file carries 53, sname carries 12.
        bytes[240] = 52; bytes[241] = 1; bytes[242] = 3;
        bytes[108] = 53; bytes[109] = 1; bytes[110] = 3; bytes[111] = 255;
        bytes[44] = 66; bytes[45] = 2; bytes[46] = (byte)'t'; bytes[47] = (byte)'s'; bytes[48] = 255;

        Assert.True(DhcpMessage.TryParse(bytes, out var message, out var error), error.ToString());

        Assert.Equal(DhcpMessageType.Request, message.MessageType);
        Assert.Equal("ts", message.Options.GetText(DhcpOptionCode.TftpServerName));
        Assert.Equal("", message.BootFileName);
        Assert.Equal("", message.ServerName);
    }

    private static DhcpParseError ErrorOf(byte[] packet, Action<byte[]> change)
    {
        var copy = packet.ToArray();
        change(copy);
        Assert.False(DhcpMessage.TryParse(copy, out _, out var error));
        return error;
    }

    private static DhcpMessage RoundTrip(DhcpMessage message, int maxLength)
    {
        var buffer = new byte[maxLength];
        Assert.True(message.TryWrite(buffer, maxLength, out var written));
        Assert.True(DhcpMessage.TryParse(buffer.AsSpan(0, written), out var parsed, out var error), error.ToString());
        return parsed;
    }
}
