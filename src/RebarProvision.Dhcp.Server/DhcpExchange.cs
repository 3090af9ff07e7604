namespace RebarProvision.Dhcp.Server;

/// <summary>
/// One request being answered, with what answering it needs: where it came in, the subnet and reservation it falls
/// under, the client's PXE class and identity, and the time. The responder and allocator pass this, not eight
/// parameters.
/// </summary>
/// <remarks>
/// A value, not an object: one is made per datagram, and as a class it was 130 bytes per datagram for the collector
/// (tests/perf/dhcp/RESULTS.md). Synchronous helpers take it by <c>in</c>.
/// </remarks>
internal readonly struct DhcpExchange
{
    public DhcpExchange(DhcpMessage request, DhcpReceiveContext receive, DhcpNetworks.Snapshot networks, SubnetPlan? subnet, DateTimeOffset now)
    {
        Request = request;
        Type = request.MessageType;
        Receive = receive;
        Networks = networks;
        Subnet = subnet;
        Now = now;
        Client = PxeClient.Classify(request);
        Token = DhcpRequestKind.ClientToken(request);
        Ingress = DhcpIngress.Of(request, receive);
        Reservation = subnet is null ? null : ReservationIn(networks, subnet, request.ClientMac);
    }

    public DhcpMessage Request { get; }

    public DhcpMessageType Type { get; }

    public DhcpReceiveContext Receive { get; }

    public DhcpNetworks.Snapshot Networks { get; }

    /// <summary>The subnet the request selects (RFC 2131 §4.3.1: giaddr, else the receiving interface), if we serve it.</summary>
    public SubnetPlan? Subnet { get; }

    /// <summary>The client's reservation in <see cref="Subnet"/>, if it has one there.</summary>
    public ReservationPlan? Reservation { get; }

    public PxeClient Client { get; }

    /// <summary>The lease's owner: the client identifier (option 61) when sent, else the MAC (RFC 2131 §4.2).</summary>
    public string Token { get; }

    /// <summary>Where the request entered the network, for the per-ingress cap on offers.</summary>
    public DhcpIngress Ingress { get; }

    public DateTimeOffset Now { get; }

    /// <summary>The lease time to give: the reservation's when the client has one, else the subnet's.</summary>
    public int LeaseSeconds => Reservation is not null ? Subnet!.Subnet.ReservedLeaseTime : Subnet!.Subnet.LeaseTime;

    private static ReservationPlan? ReservationIn(DhcpNetworks.Snapshot networks, SubnetPlan subnet, string mac) =>
        networks.ByMac.TryGetValue(mac, out var r) && subnet.Network.Contains(r.Address) &&
        (r.Reservation.Subnet is null || r.Reservation.Subnet == subnet.Name) ? r : null;
}
