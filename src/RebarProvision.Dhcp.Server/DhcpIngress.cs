namespace RebarProvision.Dhcp.Server;

/// <summary>
/// Where a client's request entered the network: the receiving interface, the relay (giaddr) and the relay's
/// circuit (RFC 3046 option 82, hashed). Unrequested offers are capped per ingress, since a per-MAC cap does not stop
/// random MACs, while one switch port or relay flooding cannot take the offers of the others.
/// </summary>
internal readonly record struct DhcpIngress(uint Interface, uint Relay, int Circuit)
{
    public static DhcpIngress Of(DhcpMessage request, DhcpReceiveContext receive)
    {
        var circuit = 0;
        if (request.RelayAddress != 0 && request.Options.Get(DhcpOptionCode.RelayAgentInformation) is { } information)
        {
            var hash = new HashCode();
            hash.AddBytes(information);
            circuit = hash.ToHashCode();
        }
        return new DhcpIngress(receive.InterfaceAddress, request.RelayAddress, circuit);
    }
}
