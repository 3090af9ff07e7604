using RebarProvision.Dhcp;

namespace RebarProvision.Server.Dhcp;

/// <summary>A message to send and where to.</summary>
public sealed record DhcpReply(DhcpMessage Message, DhcpReplyTarget Target, uint Address, int Port);
