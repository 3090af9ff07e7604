using RebarProvision.Model;

namespace RebarProvision.Store.Sqlite;

/// <summary>
/// Every committed lease row of the SQLite file, in memory, indexed by address and by token, so a DISCOVER's token
/// look-up and a renewal's address look-up cost a dictionary read instead of a SQLite read transaction (with its
/// file locks). It is exact because this process is the file's only writer (<see cref="DataDirectoryLock"/>) and
/// every lease write changes it after its commit, while still holding the write lock
/// (<see cref="SqliteDatabase.OnCommit"/>), so it never shows a write that was rolled back and never misses one.
/// </summary>
internal sealed class SqliteLeaseCache
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Lease> _byAddr = new(StringComparer.Ordinal);

    /// <summary>The addresses whose rows carry the token: one, now and then two (a client that moved).</summary>
    private readonly Dictionary<string, List<string>> _byToken = new(StringComparer.Ordinal);

    public bool Loaded { get; private set; }

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

    public Lease? Get(string addr)
    {
        lock (_gate)
        {
            return _byAddr.GetValueOrDefault(addr);
        }
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

    public void Remove(string addr)
    {
        lock (_gate)
        {
            if (_byAddr.Remove(addr, out var old))
            {
                Unindex(old);
            }
        }
    }

    private void PutLocked(Lease row)
    {
        if (_byAddr.TryGetValue(row.Addr, out var old))
        {
            if (old.Token == row.Token)
            {
                _byAddr[row.Addr] = row;
                return;
            }
            Unindex(old);
        }
        _byAddr[row.Addr] = row;
        if (!_byToken.TryGetValue(row.Token, out var addrs))
        {
            _byToken[row.Token] = addrs = new List<string>(1);
        }
        addrs.Add(row.Addr);
    }

    private void Unindex(Lease row)
    {
        var addrs = _byToken[row.Token];
        addrs.Remove(row.Addr);
        if (addrs.Count == 0)
        {
            _byToken.Remove(row.Token);
        }
    }
}
