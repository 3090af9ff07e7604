namespace RebarProvision.Storm.Perf;

internal static class StageNames
{
    public static string Of(Stage stage) => stage switch
    {
        Stage.DhcpPxe => "dhcp-pxe",
        Stage.TftpLoader => "tftp-loader",
        Stage.DhcpIpxe => "dhcp-ipxe",
        Stage.IpxeScript => "ipxe-script",
        Stage.Kernel => "kernel",
        Stage.Initrd => "initrd",
        Stage.CloudInit => "cloud-init",
        Stage.Callback => "callback",
        _ => "total",
    };
}
