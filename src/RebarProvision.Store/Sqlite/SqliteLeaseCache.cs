using RebarProvision.Model;

namespace RebarProvision.Store.Sqlite;

/// <summary>
/// Every committed lease row of the SQLite file, in memory, indexed by address and by token, so a DISCOVER's token
/// look-up, a renewal's address look-up and the nextFree picker's search for unused addresses cost dictionary reads
/// instead of SQLite read transactions (with their file locks) and the indexes those would need. It is exact because this process is the file's only writer (<see cref="DataDirectoryLock"/>) and
/// every lease write changes it after its commit, while still holding the write lock
/// (<see cref="SqliteDatabase.OnCommit"/>), so it never shows a write that was rolled back and never misses one.
/// </summary>
internal sealed class SqliteLeaseCache
{
    private readonly Lock _gate = new();
    private readonly Dictionary<uint, Lease> _byAddr = [];

    /// <summary>The addresses whose rows carry the token: one, now and then two (a client that moved).</summary>
    private readonly Dictionary<string, List<uint>> _byToken = new(StringComparer.Ordinal);

    private volatile bool _loaded;

    public bool Loaded
    {
        get => _loaded;
        private set => _loaded = value;
    }

    /// <summary>Replaces the contents with the table's rows; call with the write lock held.</summary>
    public void Load(IEnumerable<Lease> rows)
    {
        lock (_gate)
        {
            _byAddr.Clear();
            _byToken.Clear();
            foreach (var row in rows)
            {
                PutLocked(row);
            }
            Loaded = true;
        }
    }

    /// <summary>Marks the contents unusable; the store loads them again before its next look-up.</summary>
    public void Invalidate()
    {
        lock (_gate)
        {
            Loaded = false;
        }
    }

    public Lease? Get(uint addr)
    {
        lock (_gate)
        {
            return _byAddr.GetValueOrDefault(addr);
        }
    }

    /// <summary>
    /// Up to <paramref name="max"/> addresses of [<paramref name="first"/>, <paramref name="last"/>], lowest first,
    /// with no row in <paramref name="subnet"/>. Takes the lock per stretch of addresses, so a long search through a
    /// full range does not hold up the DHCP look-ups beside it.
    /// </summary>
    public IReadOnlyList<uint> FindUnused(string subnet, uint first, uint last, int max)
    {
        const uint Stretch = 1024;
        var found = new List<uint>(Math.Clamp(max, 0, 64));
        for (var from = (ulong)first; from <= last && found.Count < max; from += Stretch)
        {
            var to = Math.Min(last, from + Stretch - 1);
            lock (_gate)
            {
                for (var address = from; address <= to && found.Count < max; address++)
                {
                    if (!_byAddr.TryGetValue((uint)address, out var row) || row.Subnet != subnet)
                    {
                        found.Add((uint)address);
                    }
                }
            }
        }
        return found;
    }

    /// <summary>The token's active row, else its latest (<see cref="LeaseRows.Precedes"/>).</summary>
    public Lease? FindByToken(string token)
    {
        lock (_gate)
        {
            if (!_byToken.TryGetValue(token, out var addrs))
            {
                return null;
            }
            Lease? best = null;
            foreach (var addr in addrs)
            {
                var lease = _byAddr[addr];
                if (best is null || LeaseRows.Precedes(lease, best))
                {
                    best = lease;
                }
            }
            return best;
        }
    }

    public void Put(Lease row)
    {
        lock (_gate)
        {
            PutLocked(row);
        }
    }

    public void Remove(uint addr)
    {
        lock (_gate)
        {
            if (_byAddr.Remove(addr, out var old))
            {
                Unindex(addr, old);
            }
        }
    }

    private void PutLocked(Lease row)
    {
        var addr = LeaseRows.AddressValue(row.Addr);
        if (_byAddr.TryGetValue(addr, out var old))
        {
            if (old.Token == row.Token)
            {
                _byAddr[addr] = row;
                return;
            }
            Unindex(addr, old);
        }
        _byAddr[addr] = row;
        if (!_byToken.TryGetValue(row.Token, out var addrs))
        {
            _byToken[row.Token] = addrs = new List<uint>(1);
        }
        addrs.Add(addr);
    }

    private void Unindex(uint addr, Lease row)
    {
        var addrs = _byToken[row.Token];
        addrs.Remove(addr);
        if (addrs.Count == 0)
        {
            _byToken.Remove(row.Token);
        }
    }
}
