namespace RebarProvision.Dhcp.Server;

/// <summary>
/// The other nodes answering DHCP on the same networks (DESIGN §7), as far as the responder must know them: new
/// clients are split among the live nodes by their RFC 3074 hash (<see cref="LoadBalanceHash"/>), so exactly one node
/// offers to each (no double offers, half the store work each), and each node picks new addresses from its own slice
/// of a range. Everything else (REQUESTs, renewals, releases) is answered by whoever the client addresses or reaches,
/// and the store's claim, never this split, keeps two clients off one address.
/// </summary>
public interface IDhcpPeers
{
    DhcpShare Share { get; }
}
