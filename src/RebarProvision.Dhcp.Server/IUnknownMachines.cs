namespace RebarProvision.Dhcp.Server;

/// <summary>
/// The unknown-machine policy (DESIGN §4 step 2) as the DHCP responder needs it: whether a PXE client gets boot
/// options, creating a discovered machine first when the policy says so. The host implements it once, for DHCP and
/// HTTP boot alike (one policy, one rate limit, the object cache and events).
/// </summary>
public interface IUnknownMachines
{
    ValueTask<bool> ShouldBootAsync(string mac, PxeClient client, CancellationToken cancellationToken);
}
