using RebarProvision.Dhcp;

namespace RebarProvision.Server.Dhcp;

/// <summary>
/// The unknown-machine policy as the DHCP responder needs it: whether a PXE client gets boot options, creating the
/// machine first when the policy says so. The host plugs in the server-wide discovery (one rate limit, the object
/// cache and events); the responder's own store-only implementation serves when it runs alone (tests, perf host).
/// </summary>
public interface IUnknownMachines
{
    ValueTask<bool> ShouldBootAsync(string mac, PxeClient client, CancellationToken cancellationToken);
}
