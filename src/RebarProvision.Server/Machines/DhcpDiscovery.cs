using RebarProvision.Dhcp;
using RebarProvision.Server.Dhcp;

namespace RebarProvision.Server.Machines;

/// <summary>The DHCP responder's view of <see cref="Discovery"/>: one policy and one rate limit for DHCP and HTTP boot.</summary>
public sealed class DhcpDiscovery : IUnknownMachines
{
    private readonly Discovery _discovery;

    public DhcpDiscovery(Discovery discovery) => _discovery = discovery;

    public async ValueTask<bool> ShouldBootAsync(string mac, PxeClient client, CancellationToken cancellationToken)
    {
        var machine = await _discovery.FindOrDiscoverAsync(mac, client.IsArm64 ? "arm64" : "amd64", client.ClientUuid, cancellationToken);
        // A rate-limited unknown client still boots into discovery; it is created on a later packet.
        return machine is not null || _discovery.Enabled;
    }
}
