namespace RebarProvision.Dhcp;

/// <summary>RFC 2131 §4.3.1: the subnet comes from giaddr when relayed, else from the address the request arrived on.</summary>
public static class SubnetMatch
{
    /// <summary>The address that names the client's network.</summary>
    /// <param name="interfaceAddress">The IPv4 address of the interface the request came in on.</param>
    public static uint SelectingAddress(DhcpMessage request, uint interfaceAddress)
    {
        if (request.RelayAddress != 0)
        {
            return request.RelayAddress;
        }
        // A renewing client unicasts from its own address, possibly from behind a relay: its ciaddr names its subnet.
        return request.ClientAddress != 0 ? request.ClientAddress : interfaceAddress;
    }

    /// <summary>The most specific network containing the address.</summary>
    public static T? Best<T>(IReadOnlyList<T> subnets, Func<T, (uint Network, int PrefixLength)> network, uint address)
        where T : class
    {
        T? best = null;
        var bestPrefix = -1;
        // By index: a foreach over the interface would allocate an enumerator for every packet.
        for (var i = 0; i < subnets.Count; i++)
        {
            var subnet = subnets[i];
            var (net, prefix) = network(subnet);
            var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
            if ((address & mask) == net && prefix > bestPrefix)
            {
                best = subnet;
                bestPrefix = prefix;
            }
        }
        return best;
    }
}
