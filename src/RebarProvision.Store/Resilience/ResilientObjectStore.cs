using RebarProvision.Model;

namespace RebarProvision.Store.Resilience;

internal sealed class ResilientObjectStore(IObjectStore inner, StoreGuard guard) : IObjectStore
{
    public Task<StoredObject?> GetAsync(ObjectKind kind, string key, CancellationToken cancellationToken = default) =>
        guard.ReadAsync(ct => inner.GetAsync(kind, key, ct), cancellationToken);

    public Task<IReadOnlyList<StoredObject>> ListAsync(ObjectKind kind, CancellationToken cancellationToken = default) =>
        guard.ReadAsync(ct => inner.ListAsync(kind, ct), cancellationToken);

    public Task<long> CountAsync(ObjectKind kind, CancellationToken cancellationToken = default) =>
        guard.ReadAsync(ct => inner.CountAsync(kind, ct), cancellationToken);

    public Task<string?> FindKeyAsync(ObjectKind kind, string field, string value, CancellationToken cancellationToken = default) =>
        guard.ReadAsync(ct => inner.FindKeyAsync(kind, field, value, ct), cancellationToken);

    public Task<StoredObject> CreateAsync(StoredObject value, CancellationToken cancellationToken = default) =>
        guard.WriteAsync(ct => inner.CreateAsync(value, ct), cancellationToken);

    public Task<StoredObject> UpdateAsync(StoredObject value, long? expectedRevision, CancellationToken cancellationToken = default) =>
        guard.WriteAsync(ct => inner.UpdateAsync(value, expectedRevision, ct), cancellationToken);

    public Task<StoredObject> DeleteAsync(ObjectKind kind, string key, long? expectedRevision, CancellationToken cancellationToken = default) =>
        guard.WriteAsync(ct => inner.DeleteAsync(kind, key, expectedRevision, ct), cancellationToken);
}
