namespace RebarProvision.Dhcp.Server;

/// <summary>A node with no peers (the embedded store): it offers to every client.</summary>
public sealed class LoneNode : IDhcpPeers
{
    public DhcpShare Share => DhcpShare.All;
}
