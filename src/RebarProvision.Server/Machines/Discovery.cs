using System.Diagnostics.Metrics;
using System.Threading.RateLimiting;
using RebarProvision.Dhcp;
using RebarProvision.Dhcp.Server;
using RebarProvision.Model;
using RebarProvision.Server.Configuration;
using RebarProvision.Server.Objects;
using RebarProvision.Store;

namespace RebarProvision.Server.Machines;

/// <summary>
/// What happens to a MAC the inventory does not know (DESIGN §4 step 2): with the <c>discovery</c> policy it becomes a
/// discovered machine booting the discovery bootenv; with <c>ignore</c> it stays unknown and gets no PXE boot.
/// Creation is rate-limited, so a flood of random MACs cannot fill the database. The one path for unknown machines:
/// HTTP boot asks <see cref="FindOrDiscoverAsync"/>, the DHCP responder <see cref="ShouldBootAsync"/>.
/// </summary>
public sealed class Discovery : IUnknownMachines, IDisposable
{
    private readonly Inventory _inventory;
    private readonly ServerOptions _options;
    private readonly TokenBucketRateLimiter _limiter;
    private readonly Meter _meter;
    private readonly Counter<long> _refused;

    /// <param name="meters">The host's meter factory: it owns the "RebarProvision.Discovery" meter, which /metrics exports.</param>
    public Discovery(Inventory inventory, ServerOptions options, IMeterFactory meters)
    {
        _inventory = inventory;
        _options = options;
        _limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = options.DiscoveryBurst,
            TokensPerPeriod = options.DiscoveryRatePerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
        _meter = meters.Create("RebarProvision.Discovery");
        _refused = _meter.CreateCounter<long>("rebar_discovery_refused", description: "Unknown machines not discovered because discoveryMaxUnclaimed discovered machines wait to be claimed");
    }

    public bool Enabled => _options.UnknownMachinePolicy == "discovery";

    /// <summary>The machine owning the MAC, creating a discovered one when the policy allows and the rate limit has room.</summary>
    /// <returns>The machine, or null when the MAC stays unknown (policy ignore, or rate-limited).</returns>
    public async Task<Machine?> FindOrDiscoverAsync(string mac, string? arch = null, string? clientUuid = null, CancellationToken cancellationToken = default)
    {
        if (_inventory.Cache.MachineByMac(mac) is { } known)
        {
            return known;
        }
        if (!Enabled)
        {
            return null;
        }
        using var lease = _limiter.AttemptAcquire();
        if (!lease.IsAcquired)
        {
            return null;
        }
        // Random MACs at the rate limit would still add ~1.7 M machines a day: unclaimed ones are capped. Counting
        // walks the cache, but only for the few requests a second the rate limit lets through.
        if (_inventory.Cache.CountMachines(MachineState.Discovered) >= _options.DiscoveryMaxUnclaimed)
        {
            _refused.Add(1);
            return null;
        }
        var machine = new Machine
        {
            Name = "m-" + mac.Replace(":", "", StringComparison.Ordinal),
            HardwareAddrs = [mac],
            Arch = arch ?? "amd64",
            ClientUuid = clientUuid,
            BootEnv = MachineLifecycle.DiscoveryBootEnv,
            State = MachineState.Discovered,
        };
        try
        {
            return (Machine)await _inventory.CreateAsync(machine, "discovery", cancellationToken);
        }
        catch (StoreConflictException)
        {
            // Another request (or node) discovered it at the same moment.
            var existing = await _inventory.Objects.FindMachineByMacAsync(mac, cancellationToken);
            if (existing is not null)
            {
                _inventory.Cache.Apply(existing);
            }
            return existing;
        }
    }

    /// <summary>Whether a PXE client gets boot options: a known machine does; an unknown one does under the discovery policy.</summary>
    public async ValueTask<bool> ShouldBootAsync(string mac, PxeClient client, CancellationToken cancellationToken)
    {
        if (_inventory.Cache.MachineByMac(mac) is not null)
        {
            return true;
        }
        if (!Enabled)
        {
            return false;
        }
        if (await FindOrDiscoverAsync(mac, client.IsArm64 ? "arm64" : "amd64", client.ClientUuid, cancellationToken) is not null)
        {
            return true;
        }
        // A rate-limited unknown client still boots into discovery and is created on a later packet; past the cap
        // on unclaimed machines it is not booted at all.
        return _inventory.Cache.CountMachines(MachineState.Discovered) < _options.DiscoveryMaxUnclaimed;
    }

    public void Dispose() => _limiter.Dispose();
}
