using RebarProvision.Model;

namespace RebarProvision.Dhcp.Server;

/// <summary>
/// The leases this node bound, kept so that a renewal still gets its ACK while the store is unreachable (DESIGN §7:
/// a database outage must not take addresses from running machines): the client keeps its address, and the renewal
/// is written once the store answers again. Only renewals of leases known here and not yet expired are answered
/// this way; new clients get no OFFER until the store is back, since only its claim may hand out an address.
/// Bounded: one entry per address of the subnets served.
/// </summary>
/// <remarks>
/// Every REQUEST the store binds passes through here, so a bound lease is remembered as owner and expiry in a
/// table's array, not as a <see cref="Lease"/> object with a node of its own: kept as objects, they were 250 bytes
/// per bound address that every young-generation collection had to promote (tests/perf/dhcp/RESULTS.md).
/// </remarks>
internal sealed class LeaseMemory
{
    private readonly Lock _gate = new();
    private readonly Dictionary<uint, Remembered> _bound = [];

    /// <summary>Renewals answered from memory that the store has not seen yet: written only during an outage.</summary>
    private readonly Dictionary<uint, Lease> _unwritten = [];

    /// <param name="Token">The lease's owner (the same string the store holds).</param>
    /// <param name="ExpiresTicks">Its expiry, UTC ticks.</param>
    private readonly record struct Remembered(string Token, long ExpiresTicks);

    /// <summary>The store bound (or renewed) <paramref name="lease"/>.</summary>
    public void Bound(uint address, Lease lease)
    {
        lock (_gate)
        {
            _bound[address] = new Remembered(lease.Token, lease.ExpiresAt.UtcTicks);
        }
    }

    /// <summary>The lease ended (released, declined, or its address went to another client).</summary>
    public void Forget(uint address)
    {
        lock (_gate)
        {
            _bound.Remove(address);
        }
    }

    /// <summary>
    /// Renews the lease on <paramref name="address"/> from memory as <paramref name="renewal"/> when it is known here,
    /// is <paramref name="renewal"/>'s token's and has not expired; the renewal waits in memory until
    /// <see cref="TakeUnwritten"/> hands it to the store.
    /// </summary>
    public bool TryRenew(uint address, Lease renewal, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (!_bound.TryGetValue(address, out var known) || known.Token != renewal.Token || known.ExpiresTicks <= now.UtcTicks)
            {
                return false;
            }
            _bound[address] = new Remembered(renewal.Token, renewal.ExpiresAt.UtcTicks);
            _unwritten[address] = renewal;
            return true;
        }
    }

    /// <summary>The renewals still to write; each is removed once written (see <see cref="Written"/>).</summary>
    public IReadOnlyList<KeyValuePair<uint, Lease>> TakeUnwritten()
    {
        lock (_gate)
        {
            // Asked once a second and nearly always empty: no copy then.
            return _unwritten.Count == 0 ? [] : [.. _unwritten];
        }
    }

    /// <summary>A renewal reached the store (or lost to another client there); unless renewed again meanwhile, it is done.</summary>
    public void Written(uint address, Lease lease)
    {
        lock (_gate)
        {
            if (_unwritten.TryGetValue(address, out var current) && ReferenceEquals(current, lease))
            {
                _unwritten.Remove(address);
            }
        }
    }
}
