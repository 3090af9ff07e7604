using System.Collections.Concurrent;
using RebarProvision.Model;

namespace RebarProvision.Dhcp.Server;

/// <summary>
/// The leases this node bound, kept so that a renewal still gets its ACK while the store is unreachable (DESIGN §7:
/// a database outage must not take addresses from running machines): the client keeps its address, and the renewal
/// is written once the store answers again. Only renewals of leases known here and not yet expired are answered
/// this way; new clients get no OFFER until the store is back, since only its claim may hand out an address.
/// Bounded: one entry per address of the subnets served.
/// </summary>
internal sealed class LeaseMemory
{
    private readonly ConcurrentDictionary<uint, Lease> _bound = new();
    private readonly ConcurrentDictionary<uint, Lease> _unwritten = new();

    /// <summary>Renewals answered from memory that the store has not seen yet.</summary>
    public int Unwritten => _unwritten.Count;

    /// <summary>The store bound (or renewed) <paramref name="lease"/>.</summary>
    public void Bound(uint address, Lease lease) => _bound[address] = lease;

    /// <summary>The lease ended (released, declined, or its address went to another client).</summary>
    public void Forget(uint address) => _bound.TryRemove(address, out _);

    /// <summary>
    /// Renews the client's lease on <paramref name="address"/> from memory when it is known here, is the client's and
    /// has not expired; the renewal waits in memory until <see cref="TakeUnwritten"/> hands it to the store.
    /// </summary>
    public bool TryRenew(uint address, string token, DateTimeOffset now, DateTimeOffset expires)
    {
        if (!_bound.TryGetValue(address, out var known) || known.Token != token || known.ExpiresAt <= now)
        {
            return false;
        }
        var renewed = known with { State = LeaseState.Bound, ExpiresAt = expires };
        _bound[address] = renewed;
        _unwritten[address] = renewed;
        return true;
    }

    /// <summary>The renewals still to write, oldest state first; each is removed once written (see <see cref="Written"/>).</summary>
    public IReadOnlyList<KeyValuePair<uint, Lease>> TakeUnwritten() => [.. _unwritten];

    /// <summary>A renewal reached the store (or lost to another client there); unless renewed again meanwhile, it is done.</summary>
    public void Written(uint address, Lease lease) => _unwritten.TryRemove(KeyValuePair.Create(address, lease));
}
