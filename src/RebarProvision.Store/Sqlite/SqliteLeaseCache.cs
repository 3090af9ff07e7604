using System.Runtime.InteropServices;
using RebarProvision.Model;

namespace RebarProvision.Store.Sqlite;

/// <summary>
/// Every committed lease row of the SQLite file, in memory, indexed by address and by token, so a DISCOVER's token
/// look-up, a renewal's address look-up and the nextFree picker's search for unused addresses cost dictionary reads
/// instead of SQLite read transactions (with their file locks) and the indexes those would need. It is exact because
/// this process is the file's only writer (<see cref="DataDirectoryLock"/>) and every lease write changes it after
/// its commit, while still holding the write lock (<see cref="SqliteDatabase.OnCommit"/>), so it never shows a write
/// that was rolled back and never misses one.
/// </summary>
/// <remarks>
/// Rows are kept as plain structs that point at nothing (names and tokens are numbers into tables of their own), so
/// the garbage collector has nothing to trace in them. Kept as <see cref="Lease"/> objects, every new client left
/// about 300 bytes of young objects to copy out of the nursery; in a DHCP storm that made each gen0 collection a
/// 5-15 ms stop, and each stop came out as a burst of replies the clients' sockets could not take in (RESULTS.md).
/// Now a new client leaves its token string, once. Look-ups build a fresh <see cref="Lease"/>, which dies young.
/// </remarks>
internal sealed class SqliteLeaseCache
{
    private readonly Lock _gate = new();
    private readonly Dictionary<uint, Row> _byAddr = [];
    private readonly TokenTable _tokens = new();

    /// <summary>Subnet and node names: a handful, kept for good.</summary>
    private readonly Dictionary<string, int> _nameIds = new(StringComparer.Ordinal);
    private readonly List<string> _names = [];

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
            _tokens.Clear();
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
            return _byAddr.TryGetValue(addr, out var row) ? ToLease(addr, row, _tokens.Text(row.Token)) : null;
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
        var subnetId = -1;
        for (var from = (ulong)first; from <= last && found.Count < max; from += Stretch)
        {
            var to = Math.Min(last, from + Stretch - 1);
            lock (_gate)
            {
                // Until the subnet has a row, looked up again per stretch: its first one may come during the search.
                if (subnetId < 0)
                {
                    subnetId = _nameIds.GetValueOrDefault(subnet, -1);
                }
                for (var address = from; address <= to && found.Count < max; address++)
                {
                    if (!_byAddr.TryGetValue((uint)address, out var row) || row.Subnet != subnetId)
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
            if (!_tokens.TryFind(token, out var id))
            {
                return null;
            }
            var (addr, count) = _tokens.Chain(id);
            var bestAddr = addr;
            var best = _byAddr[addr];
            for (var i = 1; i < count; i++)
            {
                addr = _byAddr[addr].NextSameToken;
                var next = _byAddr[addr];
                if (LeaseRows.Precedes(next.State, next.UpdatedAt, next.Revision, best.State, best.UpdatedAt, best.Revision))
                {
                    (bestAddr, best) = (addr, next);
                }
            }
            return ToLease(bestAddr, best, token);
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
                Unlink(addr, old);
            }
        }
    }

    private void PutLocked(Lease lease)
    {
        // Everything that can throw comes before the row is added or unlinked, so a failure leaves the chains whole.
        ArgumentNullException.ThrowIfNull(lease.Token);
        var addr = LeaseRows.AddressValue(lease.Addr);
        var subnet = NameId(lease.Subnet);
        var node = NameId(lease.Node);
        ref var row = ref CollectionsMarshal.GetValueRefOrAddDefault(_byAddr, addr, out var exists);
        if (!exists || !_tokens.Is(row.Token, lease.Token))
        {
            if (exists)
            {
                Unlink(addr, row);
            }
            // Linked first in the token's chain of addresses.
            row.Token = _tokens.Add(lease.Token, addr, out row.NextSameToken);
        }
        row.Subnet = subnet;
        row.Node = node;
        row.State = lease.State;
        row.ExpiresAt = lease.ExpiresAt.UtcTicks;
        row.Revision = lease.Revision;
        row.CreatedAt = lease.CreatedAt.UtcTicks;
        row.UpdatedAt = lease.UpdatedAt.UtcTicks;
    }

    /// <summary>Takes the address out of its token's chain (the row itself is the caller's to drop or reuse).</summary>
    private void Unlink(uint addr, Row row)
    {
        var (first, _) = _tokens.Chain(row.Token);
        if (first == addr)
        {
            _tokens.Unlink(row.Token, newFirst: row.NextSameToken);
            return;
        }
        ref var before = ref CollectionsMarshal.GetValueRefOrNullRef(_byAddr, first);
        while (before.NextSameToken != addr)
        {
            before = ref CollectionsMarshal.GetValueRefOrNullRef(_byAddr, before.NextSameToken);
        }
        before.NextSameToken = row.NextSameToken;
        _tokens.Unlink(row.Token, newFirst: first);
    }

    private int NameId(string name)
    {
        ref var id = ref CollectionsMarshal.GetValueRefOrAddDefault(_nameIds, name, out var exists);
        if (!exists)
        {
            id = _names.Count;
            _names.Add(name);
        }
        return id;
    }

    private Lease ToLease(uint addr, in Row row, string token) => new()
    {
        Addr = Ipv4Network.Format(addr),
        Token = token,
        Subnet = _names[row.Subnet],
        Node = _names[row.Node],
        State = row.State,
        ExpiresAt = new DateTimeOffset(row.ExpiresAt, TimeSpan.Zero),
        Revision = row.Revision,
        CreatedAt = new DateTimeOffset(row.CreatedAt, TimeSpan.Zero),
        UpdatedAt = new DateTimeOffset(row.UpdatedAt, TimeSpan.Zero),
    };

    /// <summary>A lease row without references; times are UTC ticks.</summary>
    private struct Row
    {
        public int Token;
        public int Subnet;
        public int Node;
        public LeaseState State;
        public long ExpiresAt;
        public long Revision;
        public long CreatedAt;
        public long UpdatedAt;

        /// <summary>The next address in the token's chain (its table entry says how long the chain is).</summary>
        public uint NextSameToken;
    }

    /// <summary>
    /// Tokens by number, each with the head and length of its chain of addresses; a number is reused once its token
    /// has no rows left.
    /// </summary>
    private sealed class TokenTable
    {
        private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
        private readonly List<Entry> _entries = [];
        private readonly Stack<int> _free = new();

        public void Clear()
        {
            _ids.Clear();
            _entries.Clear();
            _free.Clear();
        }

        public bool TryFind(string token, out int id) => _ids.TryGetValue(token, out id);

        public string Text(int id) => _entries[id].Token!;

        public bool Is(int id, string token) => string.Equals(_entries[id].Token, token, StringComparison.Ordinal);

        /// <summary>The head of the token's chain of addresses, and how many it holds.</summary>
        public (uint First, int Count) Chain(int id)
        {
            var entry = _entries[id];
            return (entry.First, entry.Count);
        }

        /// <summary>Puts <paramref name="addr"/> at the head of the token's chain; <paramref name="next"/> is the old head, to link behind it.</summary>
        public int Add(string token, uint addr, out uint next)
        {
            ref var id = ref CollectionsMarshal.GetValueRefOrAddDefault(_ids, token, out var exists);
            if (!exists)
            {
                id = _free.TryPop(out var reused) ? reused : _entries.Count;
                if (id == _entries.Count)
                {
                    _entries.Add(default);
                }
                CollectionsMarshal.AsSpan(_entries)[id] = new Entry { Token = token };
            }
            ref var entry = ref CollectionsMarshal.AsSpan(_entries)[id];
            next = entry.First;
            entry.First = addr;
            entry.Count++;
            return id;
        }

        /// <summary>One address fewer in the token's chain, which now starts at <paramref name="newFirst"/>; a token with none left is forgotten.</summary>
        public void Unlink(int id, uint newFirst)
        {
            ref var entry = ref CollectionsMarshal.AsSpan(_entries)[id];
            entry.First = newFirst;
            if (--entry.Count > 0)
            {
                return;
            }
            _ids.Remove(entry.Token!);
            entry = default;
            _free.Push(id);
        }

        private struct Entry
        {
            public string? Token;
            public uint First;
            public int Count;
        }
    }
}
