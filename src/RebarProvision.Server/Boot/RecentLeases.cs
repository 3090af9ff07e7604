using System.Collections.Concurrent;
using RebarProvision.Model;
using RebarProvision.Store;

namespace RebarProvision.Server.Boot;

/// <summary>
/// Leases by MAC for renders, remembered for two seconds: a booting machine fetches several files within a second,
/// and a database round trip per file would dominate the render. A lease changed meanwhile is seen two seconds late,
/// which no template that prints an address can notice within one boot.
/// </summary>
public sealed class RecentLeases
{
    private static readonly TimeSpan Freshness = TimeSpan.FromSeconds(2);
    private const int MaxEntries = 100_000;

    private readonly IStore _store;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, (Lease? Lease, DateTimeOffset FetchedAt)> _byMac = new(StringComparer.Ordinal);

    public RecentLeases(IStore store, TimeProvider time)
    {
        _store = store;
        _time = time;
    }

    public async Task<Lease?> FindAsync(string mac, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (_byMac.TryGetValue(mac, out var known) && now - known.FetchedAt < Freshness)
        {
            return known.Lease;
        }
        Lease? lease;
        try
        {
            lease = await _store.Leases.FindByTokenAsync(mac, cancellationToken);
        }
        catch (StoreUnavailableException)
        {
            // DESIGN §7: boot files render from memory while the database is away; the lease last seen (or none) is
            // what the template gets, rather than the machine getting no file at all.
            return known.Lease;
        }
        if (_byMac.Count >= MaxEntries)
        {
            _byMac.Clear();
        }
        _byMac[mac] = (lease, now);
        return lease;
    }
}
