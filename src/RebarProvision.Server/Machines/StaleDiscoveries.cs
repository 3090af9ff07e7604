using RebarProvision.Model;
using RebarProvision.Server.Cluster;
using RebarProvision.Server.Configuration;
using RebarProvision.Server.Hosting;
using RebarProvision.Server.Objects;
using RebarProvision.Store;

namespace RebarProvision.Server.Machines;

/// <summary>
/// Discovered machines nobody claimed and that have not changed for <see cref="ServerOptions.DiscoveryExpiry"/> are
/// deleted: a machine that boots again is discovered again, while MACs seen once (a visitor's laptop, a spoofed
/// flood) would otherwise count against <see cref="ServerOptions.DiscoveryMaxUnclaimed"/> for ever.
/// </summary>
public sealed class StaleDiscoveries : PeriodicJob
{
    public const string Actor = "discovery-expiry";

    private readonly Inventory _inventory;
    private readonly ServerOptions _options;
    private readonly TimeProvider _time;

    public StaleDiscoveries(Inventory inventory, ServerOptions options, TimeProvider time, ILogger<StaleDiscoveries> logger, SingletonWork singleton)
        : base(time, logger, singleton)
    {
        _inventory = inventory;
        _options = options;
        _time = time;
    }

    public override TimeSpan Interval => TimeSpan.FromHours(1);

    public override async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var deleted = 0;
        foreach (var machine in _inventory.Cache.All<Machine>().Where(m => m.State == MachineState.Discovered && now - m.UpdatedAt >= _options.DiscoveryExpiry).ToList())
        {
            try
            {
                // The revision guards a claim that lands meanwhile: then the machine is no longer ours to delete.
                await _inventory.DeleteAsync(ObjectKind.Machines, machine.Key, machine.Revision, Actor, cancellationToken);
                deleted++;
            }
            catch (StorePreconditionFailedException)
            {
            }
            catch (StoreNotFoundException)
            {
            }
        }
        return deleted;
    }
}
