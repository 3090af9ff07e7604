namespace RebarProvision.Dhcp.Tests;

public sealed class AllocationPolicyTests
{
    [Fact]
    public void A_request_with_a_server_identifier_is_selecting()
    {
        var request = Request();
        request.Options.SetAddress(DhcpOptionCode.ServerIdentifier, 0x0a000001);
        request.Options.SetAddress(DhcpOptionCode.RequestedAddress, 0x0a000032);

        Assert.Equal(DhcpClientState.Selecting, DhcpRequestKind.Of(request));
        Assert.Equal(0x0a000032u, DhcpRequestKind.RequestedAddress(request));
    }

    [Fact]
    public void A_relayed_request_without_server_identifier_but_with_option_50_is_init_reboot()
    {
        var request = GoldenPacket.Parse("relayed-init-reboot-request");

        Assert.Equal(DhcpClientState.InitReboot, DhcpRequestKind.Of(request));
        Assert.Equal(0x0a010001u, SubnetMatch.SelectingAddress(request, 0x0a630001));
    }

    [Fact]
    public void A_request_from_ciaddr_is_renewing_and_names_its_subnet_by_ciaddr()
    {
        var request = Request();
        request.ClientAddress = 0x0a000032;

        Assert.Equal(DhcpClientState.RenewingOrRebinding, DhcpRequestKind.Of(request));
        Assert.Equal(0x0a000032u, DhcpRequestKind.RequestedAddress(request));
        Assert.Equal(0x0a000032u, SubnetMatch.SelectingAddress(request, 0x0b000001));
    }

    [Fact]
    public void A_request_with_neither_option_50_nor_ciaddr_is_invalid()
    {
        Assert.Equal(DhcpClientState.Invalid, DhcpRequestKind.Of(Request()));
    }

    [Fact]
    public void The_client_identifier_names_the_lease_unless_it_is_just_the_mac()
    {
        Assert.Equal("52:54:00:12:34:56", DhcpRequestKind.ClientToken(GoldenPacket.Parse("dhclient-discover")));
        var udhcpc = GoldenPacket.Parse("udhcpc-discover");
        Assert.Equal("52:54:00:12:34:56", DhcpRequestKind.ClientToken(udhcpc));
        udhcpc.Options.Set(DhcpOptionCode.ClientIdentifier, [0xff, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]);
        Assert.Equal("ff:00:00:00:01:00:01", DhcpRequestKind.ClientToken(udhcpc));
    }

    [Fact]
    public void The_most_specific_subnet_wins()
    {
        var subnets = new[] { ("wide", 0x0a000000u, 8), ("narrow", 0x0a010000u, 16), ("other", 0xc0a80000u, 16) };

        var best = SubnetMatch.Best(subnets.Select(s => new Holder(s.Item1, s.Item2, s.Item3)).ToList(), h => (h.Network, h.Prefix), 0x0a010005);

        Assert.Equal("narrow", best?.Name);
        Assert.Null(SubnetMatch.Best(subnets.Select(s => new Holder(s.Item1, s.Item2, s.Item3)).ToList(), h => (h.Network, h.Prefix), 0xac100001));
    }

    [Fact]
    public void Next_free_skips_reserved_addresses()
    {
        var range = new AddressRange(10, 20);
        var reserved = new HashSet<uint> { 10, 11, 13 };

        Assert.Equal(12u, range.FirstAllowed(10, reserved, static (r, a) => r.Contains(a)));
        Assert.Equal(14u, range.FirstAllowed(13, reserved, static (r, a) => r.Contains(a)));
        Assert.Null(range.FirstAllowed(21, reserved, static (r, a) => r.Contains(a)));
    }

    private sealed record Holder(string Name, uint Network, int Prefix);

    private static DhcpMessage Request()
    {
        var message = new DhcpMessage { ClientHardwareAddress = [0x52, 0x54, 0, 0x12, 0x34, 0x56, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] };
        message.Options.SetByte(DhcpOptionCode.MessageType, (byte)DhcpMessageType.Request);
        return message;
    }
}
