using RebarProvision.Dhcp;

namespace RebarProvision.Dhcp.Server;

/// <summary>A message to send and where to.</summary>
public sealed record DhcpReply(DhcpMessage Message, DhcpReplyTarget Target, uint Address, int Port);
