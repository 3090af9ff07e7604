namespace RebarProvision.Dhcp.Server;

/// <summary>Where a request arrived: the interface's IPv4 address, the address we answer as, and the port.</summary>
/// <param name="InterfaceAddress">The receiving interface's address (host order); names the subnet of unrelayed clients.</param>
/// <param name="ServerAddress">Option 54 and the host in boot URLs: the advertised address or the interface's.</param>
/// <param name="ProxyPort">The request came to the PXE boot server port (4011), not 67.</param>
/// <param name="SenderAddress">The datagram's source address (host order).</param>
/// <param name="SenderPort">The datagram's source port.</param>
public sealed record DhcpReceiveContext(uint InterfaceAddress, uint ServerAddress, bool ProxyPort = false, uint SenderAddress = 0, int SenderPort = 68);
