using System.Collections.Concurrent;
using RebarProvision.Model;
using RebarProvision.Store;

namespace RebarProvision.Server.Boot;

/// <summary>
/// Leases by MAC and by address for the boot service, remembered for two seconds: a booting machine fetches several
/// files within a second, and a database round trip per file would dominate the render. A lease changed meanwhile is
/// seen two seconds late, which no template that prints an address can notice within one boot, and which gives a
/// machine whose lease just ended at most two more seconds of its own files.
/// </summary>
public sealed class RecentLeases
{
    private static readonly TimeSpan Freshness = TimeSpan.FromSeconds(2);
    private const int MaxEntries = 100_000;

    private readonly IStore _store;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, (Lease? Lease, DateTimeOffset FetchedAt)> _byMac = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (Lease? Lease, DateTimeOffset FetchedAt)> _byAddress = new(StringComparer.Ordinal);

    public RecentLeases(IStore store, TimeProvider time)
    {
        _store = store;
        _time = time;
    }

    /// <summary>The MAC's most recent lease, in any state.</summary>
    public Task<Lease?> FindAsync(string mac, CancellationToken cancellationToken) =>
        RememberedAsync(_byMac, mac, _store.Leases.FindByTokenAsync, cancellationToken);

    /// <summary>The lease row of an address, in any state.</summary>
    public Task<Lease?> AtAsync(string address, CancellationToken cancellationToken) =>
        RememberedAsync(_byAddress, address, _store.Leases.GetAsync, cancellationToken);

    private async Task<Lease?> RememberedAsync(
        ConcurrentDictionary<string, (Lease? Lease, DateTimeOffset FetchedAt)> remembered,
        string key,
        Func<string, CancellationToken, ValueTask<Lease?>> fetch,
        CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (remembered.TryGetValue(key, out var known) && now - known.FetchedAt < Freshness)
        {
            return known.Lease;
        }
        Lease? lease;
        try
        {
            lease = await fetch(key, cancellationToken);
        }
        catch (StoreUnavailableException)
        {
            // DESIGN §7: boot files render from memory while the database is away; the lease last seen (or none) is
            // what the template gets, rather than the machine getting no file at all.
            return known.Lease;
        }
        if (remembered.Count >= MaxEntries)
        {
            remembered.Clear();
        }
        remembered[key] = (lease, now);
        return lease;
    }
}
