using System.Collections.Concurrent;
using RebarProvision.Model;
using RebarProvision.Rendering;
using RebarProvision.Store;

namespace RebarProvision.Server.Objects;

/// <summary>
/// Every inventory object in memory, for the hot paths (DHCP answers, boot scripts, rendered files) that must not
/// query the database per packet or request. Loaded at start, then kept current by every write that goes through
/// <see cref="Inventory"/> and, on PostgreSQL, by every other node's writes (<see cref="Cluster.ObjectChangeFeed"/>);
/// a newer revision always wins, so racing updates cannot step back. Objects handed out
/// are shared: callers must not change them (clone first, as <see cref="Inventory"/>'s writers do).
/// </summary>
public sealed class ObjectCache : ITemplateSource
{
    private readonly Dictionary<ObjectKind, ConcurrentDictionary<string, StoredObject>> _objects =
        ObjectKind.Documents.ToDictionary(k => k, _ => new ConcurrentDictionary<string, StoredObject>(StringComparer.Ordinal));
    private readonly Dictionary<ObjectKind, KeyOrderedView> _inKeyOrder;
    private readonly ConcurrentDictionary<string, string> _machineByMac = new(StringComparer.Ordinal);
    private long _templatesRevision;
    private long _paramsRevision;

    public ObjectCache()
    {
        _inKeyOrder = _objects.ToDictionary(o => o.Key, o => new KeyOrderedView(o.Value));
    }

    /// <summary>Highest revision of any object applied; part of render cache keys for params and profiles.</summary>
    public long Revision { get; private set; }

    public async Task LoadAsync(IStore store, CancellationToken cancellationToken = default)
    {
        foreach (var kind in ObjectKind.Documents)
        {
            foreach (var value in await store.Objects.ListAsync(kind, cancellationToken))
            {
                Apply(value);
            }
        }
    }

    public void Apply(StoredObject value)
    {
        var objects = _objects[Inventory.KindOf(value)];
        StoredObject? replaced = null;
        var current = objects.AddOrUpdate(value.Key, value, (_, existing) =>
        {
            if (existing.Revision > value.Revision)
            {
                return existing;
            }
            replaced = existing;
            return value;
        });
        if (value is Machine machine && ReferenceEquals(current, value))
        {
            // Only the MACs of the version this one replaced can be stale: looking them up there keeps a load of N
            // machines linear (a scan of the whole index per machine made start-up quadratic: 100,000 machines did
            // not finish loading in 13 minutes).
            if (replaced is Machine previous)
            {
                foreach (var mac in previous.HardwareAddrs)
                {
                    if (!machine.HardwareAddrs.Contains(mac))
                    {
                        _machineByMac.TryRemove(new KeyValuePair<string, string>(mac, machine.Uuid));
                    }
                }
            }
            foreach (var mac in machine.HardwareAddrs)
            {
                _machineByMac[mac] = machine.Uuid;
            }
        }
        Bump(value, value.Revision);
    }

    public void Remove(StoredObject value)
    {
        _objects[Inventory.KindOf(value)].TryRemove(value.Key, out _);
        Unindex(value, value.Revision);
    }

    /// <param name="revision">The deletion's revision, which render caches must see as a change.</param>
    private void Unindex(StoredObject value, long revision)
    {
        if (value is Machine machine)
        {
            foreach (var mac in machine.HardwareAddrs)
            {
                _machineByMac.TryRemove(new KeyValuePair<string, string>(mac, machine.Uuid));
            }
        }
        Bump(value, revision);
    }

    /// <summary>
    /// Drops an object another node deleted at <paramref name="revision"/>, unless the cache holds a newer one (the key
    /// was created again since).
    /// </summary>
    public void Forget(ObjectKind kind, string key, long revision)
    {
        if (Find(kind, key) is { } cached && cached.Revision < revision
            && _objects[kind].TryRemove(new KeyValuePair<string, StoredObject>(key, cached)))
        {
            Unindex(cached, revision);
        }
    }

    public StoredObject? Find(ObjectKind kind, string key) => _objects[kind].TryGetValue(key, out var value) ? value : null;

    public IEnumerable<StoredObject> All(ObjectKind kind) => _objects[kind].Values;

    /// <summary>The kind's objects sorted by key (ordinal), shared until the kind changes: callers must not change it.</summary>
    public IReadOnlyList<StoredObject> InKeyOrder(ObjectKind kind) => _inKeyOrder[kind].Items();

    private void Bump(StoredObject value, long revision)
    {
        _inKeyOrder[Inventory.KindOf(value)].Changed();
        lock (_objects)
        {
            Revision = Math.Max(Revision, revision);
            if (value is Template)
            {
                _templatesRevision = Math.Max(_templatesRevision, revision);
            }
            if (value is Param)
            {
                _paramsRevision = Math.Max(_paramsRevision, revision);
            }
        }
    }

    public T? Get<T>(string? key) where T : StoredObject =>
        key is not null && _objects[ObjectKind.Of<T>()].TryGetValue(key, out var value) ? (T)value : null;

    public IEnumerable<T> All<T>() where T : StoredObject => _objects[ObjectKind.Of<T>()].Values.Cast<T>();

    /// <summary>
    /// Changes whenever anything a machine's resolved params come from changes: its profiles, <c>global</c>, or any
    /// declared param (their defaults). Render caches key on it instead of hashing the resolved values.
    /// </summary>
    public string ParamsStamp(Machine machine)
    {
        var stamp = new System.Text.StringBuilder();
        foreach (var name in machine.Profiles)
        {
            stamp.Append(Get<Profile>(name)?.Revision ?? 0).Append(',');
        }
        stamp.Append('g').Append(Get<Profile>(Profile.GlobalName)?.Revision ?? 0).Append('d').Append(Interlocked.Read(ref _paramsRevision));
        return stamp.ToString();
    }

    /// <summary>Machines in the state: walks every cached machine, so callers keep it off per-packet paths.</summary>
    public int CountMachines(MachineState state)
    {
        var count = 0;
        foreach (var (_, value) in _objects[ObjectKind.Machines])
        {
            if (value is Machine machine && machine.State == state)
            {
                count++;
            }
        }
        return count;
    }

    public Machine? MachineByMac(string mac) =>
        _machineByMac.TryGetValue(mac, out var uuid) ? Get<Machine>(uuid) : null;

    Template? ITemplateSource.Find(string name) => Get<Template>(name);

    long ITemplateSource.Revision => _templatesRevision;
}
