using System.Net;
using System.Net.Sockets;

namespace RebarProvision.Tftp.Transport;

/// <summary>How the TFTP server listens and what it lets clients negotiate.</summary>
public sealed record TftpServerOptions
{
    /// <summary>Where requests arrive; transfers use ephemeral ports on the same address (RFC 1350 §4).</summary>
    public IPEndPoint Endpoint { get; init; } = new(IPAddress.Any, 69);

    public TftpLimits Limits { get; init; } = new();

    /// <summary>Timeouts in a row without progress before a transfer is abandoned.</summary>
    public int MaxRetries { get; init; } = 5;

    /// <summary>Requests beyond this many running transfers are dropped; PXE firmware retries its RRQ.</summary>
    public int MaxConcurrentTransfers { get; init; } = 1000;

    /// <summary>
    /// Requests from an address already running this many transfers are dropped, so one address cannot take every
    /// slot. A booting machine runs one transfer at a time; raise it for many machines behind one NAT address.
    /// </summary>
    public int MaxTransfersPerAddress { get; init; } = 16;

    /// <summary>
    /// Makes every UDP socket the server opens (listener and transfers). The default opens one in the caller's network
    /// namespace; tests and hosts serving another namespace pass their own.
    /// </summary>
    public Func<AddressFamily, Socket> SocketFactory { get; init; } = family => new Socket(family, SocketType.Dgram, ProtocolType.Udp);
}
