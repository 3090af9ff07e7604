namespace RebarProvision.Dhcp.Server;

/// <summary>Where a reply goes (RFC 2131 §4.1, the paragraph on giaddr, ciaddr and the broadcast bit).</summary>
public enum DhcpReplyTarget
{
    /// <summary>To the relay agent (giaddr) on port 67.</summary>
    Relay,

    /// <summary>255.255.255.255:68 on the receiving interface: the client has no address yet.</summary>
    Broadcast,

    /// <summary>To ciaddr:68.</summary>
    Client,

    /// <summary>Back to the sender's address and port (PXE boot server requests on 4011).</summary>
    Sender,
}
