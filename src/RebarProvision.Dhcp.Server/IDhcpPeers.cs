namespace RebarProvision.Dhcp.Server;

/// <summary>
/// The other nodes answering DHCP on the same networks (DESIGN §7), as far as the responder must know them: new
/// clients are split among the live nodes by their RFC 3074 hash, so exactly one node offers to each (no double
/// offers, half the store work each); everything else (REQUESTs, renewals, releases) is answered by whoever the
/// client addresses or reaches, and the store's claim, never this split, keeps two clients off one address.
/// </summary>
public interface IDhcpPeers
{
    /// <summary>Whether this node offers to new clients whose <see cref="LoadBalanceHash"/> is <paramref name="hash"/>.</summary>
    bool OffersTo(byte hash);
}
