namespace RebarProvision.Dhcp.Server;

/// <summary>
/// Where a request arrived: the interface's IPv4 address, the address we answer as, and the port. A value, not an
/// object: one is made per datagram, which as a class left 40 bytes per datagram for the collector.
/// </summary>
/// <param name="InterfaceAddress">The receiving interface's address (host order); names the subnet of unrelayed clients.</param>
/// <param name="ServerAddress">Option 54 and the host in boot URLs: the advertised address or the interface's.</param>
/// <param name="ProxyPort">The request came to the PXE boot server port (4011), not 67.</param>
/// <param name="SenderAddress">The datagram's source address (host order).</param>
/// <param name="SenderPort">The datagram's source port.</param>
public readonly record struct DhcpReceiveContext(uint InterfaceAddress, uint ServerAddress, bool ProxyPort, uint SenderAddress, int SenderPort)
{
    /// <summary>
    /// A request broadcast to port 67 of the interface with <paramref name="interfaceAddress"/> by a client that has
    /// no address yet (from 0.0.0.0:68, RFC 2131 §4.1), answered as that interface's address.
    /// </summary>
    public static DhcpReceiveContext Broadcast(uint interfaceAddress) => new(interfaceAddress, interfaceAddress, ProxyPort: false, SenderAddress: 0, SenderPort: 68);
}
