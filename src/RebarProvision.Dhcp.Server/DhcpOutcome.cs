namespace RebarProvision.Dhcp.Server;

/// <summary>What became of one datagram: the "outcome" label of rebar_dhcp_packets (see <see cref="DhcpMetrics"/>).</summary>
public enum DhcpOutcome
{
    Offer,
    Ack,

    /// <summary>A renewal ACKed from this node's memory while the store was unreachable (see LeaseMemory).</summary>
    AckFromMemory,

    Nak,
    Declined,
    Released,

    /// <summary>Not ours to answer (a non-PXE client on a proxy subnet, a message type we do not serve).</summary>
    Ignored,

    NoSubnet,

    /// <summary>No free address in the subnet.</summary>
    Exhausted,

    /// <summary>The client's ingress or subnet holds its share of unrequested offers, all younger than their grace: no offer yet.</summary>
    OffersHeld,

    /// <summary>RFC 2131 §4.3.2: a REQUEST in SELECTING state for another server (in HA, another node).</summary>
    OtherServer,

    /// <summary>A new client whose RFC 3074 hash another live node serves (see <see cref="IDhcpPeers"/>).</summary>
    PeerOffers,

    /// <summary>RFC 2131 §4.3.2: INIT-REBOOT or renewal from a client we have no record of; another server may know it.</summary>
    UnknownClient,

    /// <summary>Relayed through a giaddr the subnet does not list among its relays (see Subnet.Relays): dropped.</summary>
    UnknownRelay,

    /// <summary>RFC 2131 §4.3.2: a SELECTING REQUEST for an address we did not offer that client and it has no lease on.</summary>
    NotOffered,

    /// <summary>The store did not answer (circuit open or timed out): no answer rather than a guess.</summary>
    StoreUnavailable,

    /// <summary>Answering failed on a bug; logged with its stack trace.</summary>
    Error,

    // Datagrams dropped before an answer was looked for.
    NotARequest,
    NoMessageType,
    Malformed,
    Oversized,
    Overloaded,
    ReceiveError,

    // Replies that did not leave.
    TooLarge,
    SendError,
}
