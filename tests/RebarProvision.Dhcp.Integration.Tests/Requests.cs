using RebarProvision.Model;

namespace RebarProvision.Dhcp.Integration.Tests;

/// <summary>Client messages as the tests need them.</summary>
internal static class Requests
{
    public static DhcpMessage Discover(string mac, uint xid = 1, Action<DhcpOptions>? options = null) =>
        Build(DhcpMessageType.Discover, mac, xid, options);

    public static DhcpMessage Request(string mac, uint xid = 1, Action<DhcpOptions>? options = null) =>
        Build(DhcpMessageType.Request, mac, xid, options);

    public static DhcpMessage Build(DhcpMessageType type, string mac, uint xid, Action<DhcpOptions>? options)
    {
        var chaddr = new byte[16];
        Convert.FromHexString(HardwareAddress.Normalize(mac).Replace(":", "", StringComparison.Ordinal)).CopyTo(chaddr, 0);
        var message = new DhcpMessage { TransactionId = xid, ClientHardwareAddress = chaddr };
        message.Options.SetByte(DhcpOptionCode.MessageType, (byte)type);
        options?.Invoke(message.Options);
        return message;
    }

    public static uint Ip(string text) => Ipv4Network.TryParseAddress(text, out var a) ? a : throw new FormatException(text);

    public static string Text(uint address) => Ipv4Network.Format(address);

    /// <summary>PXE firmware options: arch (93) and vendor class (60), optionally the iPXE user class (77).</summary>
    public static Action<DhcpOptions> Pxe(ushort arch, string vendorClass = "PXEClient:Arch:00000:UNDI:002001", bool ipxe = false) => o =>
    {
        o.SetUInt16(DhcpOptionCode.ClientArchitecture, arch);
        o.SetText(DhcpOptionCode.VendorClass, vendorClass);
        if (ipxe)
        {
            o.SetText(DhcpOptionCode.UserClass, "iPXE");
        }
    };
}
