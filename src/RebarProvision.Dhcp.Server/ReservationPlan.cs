using RebarProvision.Dhcp;
using RebarProvision.Model;

namespace RebarProvision.Dhcp.Server;

/// <summary>A reservation read once for answering, its options already in wire form.</summary>
internal sealed record ReservationPlan(Reservation Reservation, uint Address, string Mac, DhcpOption[] Options, uint? NextServer);
