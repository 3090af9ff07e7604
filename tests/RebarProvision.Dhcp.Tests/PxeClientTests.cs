namespace RebarProvision.Dhcp.Tests;

public sealed class PxeClientTests
{
    private const string Mac = "52:54:00:12:34:56";

    [Theory]
    [InlineData("dhclient-discover", PxeClientClass.None, null, false)]
    [InlineData("udhcpc-discover", PxeClientClass.None, null, false)]
    [InlineData("bios-pxe-discover", PxeClientClass.BiosPxe, "undionly.kpxe", false)]
    [InlineData("ovmf-uefi-pxe-discover", PxeClientClass.UefiPxe, "ipxe.efi", false)]
    [InlineData("ovmf-uefi-http-discover", PxeClientClass.UefiHttp, "http://10.0.0.1:8091/ipxe.efi", true)]
    [InlineData("aavmf-arm64-pxe-discover", PxeClientClass.Arm64UefiPxe, "ipxe-arm64.efi", false)]
    [InlineData("aavmf-arm64-http-discover", PxeClientClass.Arm64UefiHttp, "http://10.0.0.1:8091/ipxe-arm64.efi", true)]
    [InlineData("ipxe-bios-discover", PxeClientClass.Ipxe, "http://10.0.0.1:8091/boot/52:54:00:12:34:56.ipxe", false)]
    public void Each_client_class_gets_the_boot_file_the_design_names(string packet, PxeClientClass expectedClass, string? expectedFile, bool echoHttpClient)
    {
        var client = PxeClient.Classify(GoldenPacket.Parse(packet));

        var boot = PxeBootFile.Choose(client.Class, "10.0.0.1", 8091, Mac);

        Assert.Equal(expectedClass, client.Class);
        Assert.Equal(expectedFile, boot?.FileName);
        Assert.Equal(echoHttpClient, boot?.EchoHttpClient ?? false);
    }

    [Fact]
    public void The_client_uuid_comes_from_option_97()
    {
        var client = PxeClient.Classify(GoldenPacket.Parse("ovmf-uefi-pxe-discover"));

        Assert.Equal("8e3ec0a1-b2c3-4d5e-9f00-112233445566", client.ClientUuid);
        Assert.Equal((ushort)7, client.Architecture);
    }

    [Fact]
    public void A_user_class_in_RFC_3004_framing_is_recognised_as_iPXE()
    {
        var message = GoldenPacket.Parse("dhclient-discover");
        message.Options.Set(DhcpOptionCode.UserClass, [4, (byte)'i', (byte)'P', (byte)'X', (byte)'E']);

        Assert.Equal(PxeClientClass.Ipxe, PxeClient.Classify(message).Class);
    }

    [Fact]
    public void An_architecture_without_a_loader_is_unsupported()
    {
        var message = GoldenPacket.Parse("ovmf-uefi-pxe-discover");
        message.Options.SetUInt16(DhcpOptionCode.ClientArchitecture, 6);

        Assert.Null(PxeBootFile.Choose(PxeClient.Classify(message).Class, "10.0.0.1", 8091, Mac));
    }
}
