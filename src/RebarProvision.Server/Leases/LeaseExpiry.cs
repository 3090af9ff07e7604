using RebarProvision.Server.Cluster;
using RebarProvision.Server.Hosting;
using RebarProvision.Store;

namespace RebarProvision.Server.Leases;

/// <summary>
/// Marks leases past their expiry as expired, once a minute, so lists and pickers see them as free. Singleton work
/// (DESIGN §7): with several nodes on one database one sweep is enough, and the others' would only contend with it.
/// The DHCP pickers never depend on it: they treat a lease past its expiry as free either way.
/// </summary>
public sealed class LeaseExpiry : PeriodicJob
{
    private readonly IStore _store;
    private readonly TimeProvider _time;

    public LeaseExpiry(IStore store, TimeProvider time, ILogger<LeaseExpiry> logger, SingletonWork singleton)
        : base(time, logger, singleton)
    {
        _store = store;
        _time = time;
    }

    public override TimeSpan Interval => TimeSpan.FromMinutes(1);

    public override Task<int> RunOnceAsync(CancellationToken cancellationToken) => _store.Leases.ExpireAsync(_time.GetUtcNow(), cancellationToken);
}
