using System.Collections.Concurrent;
using RebarProvision.Model;
using RebarProvision.Rendering;
using RebarProvision.Store;

namespace RebarProvision.Server.Objects;

/// <summary>
/// Every inventory object in memory, for the hot paths (DHCP answers, boot scripts, rendered files) that must not
/// query the database per packet or request. Loaded at start, then kept current by every write that goes through
/// <see cref="Inventory"/>; a newer revision always wins, so racing updates cannot step back. Objects handed out
/// are shared: callers must not change them (clone first, as <see cref="Inventory"/>'s writers do).
/// </summary>
public sealed class ObjectCache : ITemplateSource
{
    private readonly ConcurrentDictionary<(ObjectKind Kind, string Key), StoredObject> _objects = new();
    private readonly ConcurrentDictionary<string, string> _machineByMac = new(StringComparer.Ordinal);
    private long _templatesRevision;

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
        var kind = Inventory.KindOf(value);
        var key = (kind, value.Key);
        _objects.AddOrUpdate(key, value, (_, existing) => existing.Revision > value.Revision ? existing : value);
        if (value is Machine machine && ReferenceEquals(_objects[key], value))
        {
            foreach (var stale in _machineByMac.Where(p => p.Value == machine.Uuid && !machine.HardwareAddrs.Contains(p.Key)).ToList())
            {
                _machineByMac.TryRemove(stale);
            }
            foreach (var mac in machine.HardwareAddrs)
            {
                _machineByMac[mac] = machine.Uuid;
            }
        }
        Bump(value);
    }

    public void Remove(StoredObject value)
    {
        _objects.TryRemove((Inventory.KindOf(value), value.Key), out _);
        if (value is Machine machine)
        {
            foreach (var mac in machine.HardwareAddrs)
            {
                _machineByMac.TryRemove(new KeyValuePair<string, string>(mac, machine.Uuid));
            }
        }
        Bump(value);
    }

    private void Bump(StoredObject value)
    {
        lock (_objects)
        {
            Revision = Math.Max(Revision, value.Revision);
            if (value is Template)
            {
                _templatesRevision = Math.Max(_templatesRevision, value.Revision);
            }
        }
    }

    public T? Get<T>(string? key) where T : StoredObject =>
        key is not null && _objects.TryGetValue((ObjectKind.Of<T>(), key), out var value) ? (T)value : null;

    public IEnumerable<T> All<T>() where T : StoredObject
    {
        var kind = ObjectKind.Of<T>();
        return _objects.Where(p => p.Key.Kind == kind).Select(p => (T)p.Value);
    }

    public Machine? MachineByMac(string mac) =>
        _machineByMac.TryGetValue(mac, out var uuid) ? Get<Machine>(uuid) : null;

    Template? ITemplateSource.Find(string name) => Get<Template>(name);

    long ITemplateSource.Revision => _templatesRevision;
}
