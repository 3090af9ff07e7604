using RebarProvision.Model;

namespace RebarProvision.Store;

/// <summary>Typed conveniences over <see cref="IObjectStore"/>.</summary>
public static class ObjectStoreExtensions
{
    public static async Task<T?> GetAsync<T>(this IObjectStore store, string key, CancellationToken cancellationToken = default)
        where T : StoredObject =>
        (T?)await store.GetAsync(ObjectKind.Of<T>(), key, cancellationToken);

    public static async Task<IReadOnlyList<T>> ListAsync<T>(this IObjectStore store, CancellationToken cancellationToken = default)
        where T : StoredObject =>
        (await store.ListAsync(ObjectKind.Of<T>(), cancellationToken)).Cast<T>().ToList();

    public static async Task<T> CreateAsync<T>(this IObjectStore store, T value, CancellationToken cancellationToken = default)
        where T : StoredObject =>
        (T)await store.CreateAsync((StoredObject)value, cancellationToken);

    public static async Task<T> UpdateAsync<T>(this IObjectStore store, T value, long? expectedRevision = null, CancellationToken cancellationToken = default)
        where T : StoredObject =>
        (T)await store.UpdateAsync((StoredObject)value, expectedRevision, cancellationToken);

    /// <summary>The machine that owns a MAC address, if any.</summary>
    public static async Task<Machine?> FindMachineByMacAsync(this IObjectStore store, string mac, CancellationToken cancellationToken = default)
    {
        var key = await store.FindKeyAsync(ObjectKind.Machines, "hardwareAddrs", HardwareAddress.Normalize(mac), cancellationToken);
        return key is null ? null : await store.GetAsync<Machine>(key, cancellationToken);
    }

    /// <summary>A machine by uuid or, failing that, by name (the API accepts either).</summary>
    public static async Task<Machine?> FindMachineAsync(this IObjectStore store, string uuidOrName, CancellationToken cancellationToken = default)
    {
        if (Guid.TryParse(uuidOrName, out var uuid) && await store.GetAsync<Machine>(uuid.ToString(), cancellationToken) is { } byUuid)
        {
            return byUuid;
        }
        var key = await store.FindKeyAsync(ObjectKind.Machines, "name", uuidOrName, cancellationToken);
        return key is null ? null : await store.GetAsync<Machine>(key, cancellationToken);
    }
}
