using RebarProvision.Model;

namespace RebarProvision.Store.Resilience;

internal sealed class ResilientObjectStore(IObjectStore inner, StoreGuard guard) : IObjectStore
{
    public Task<StoredObject?> GetAsync(ObjectKind kind, string key, CancellationToken cancellationToken = default) =>
        guard.ReadAsync(static (s, ct) => new ValueTask<StoredObject?>(s.inner.GetAsync(s.kind, s.key, ct)), (inner, kind, key), cancellationToken).AsTask();

    public Task<IReadOnlyList<StoredObject>> ListAsync(ObjectKind kind, CancellationToken cancellationToken = default) =>
        guard.ReadAsync(static (s, ct) => new ValueTask<IReadOnlyList<StoredObject>>(s.inner.ListAsync(s.kind, ct)), (inner, kind), cancellationToken).AsTask();

    public Task<long> CountAsync(ObjectKind kind, CancellationToken cancellationToken = default) =>
        guard.ReadAsync(static (s, ct) => new ValueTask<long>(s.inner.CountAsync(s.kind, ct)), (inner, kind), cancellationToken).AsTask();

    public Task<string?> FindKeyAsync(ObjectKind kind, string field, string value, CancellationToken cancellationToken = default) =>
        guard.ReadAsync(static (s, ct) => new ValueTask<string?>(s.inner.FindKeyAsync(s.kind, s.field, s.value, ct)), (inner, kind, field, value), cancellationToken).AsTask();

    public Task<StoredObject> CreateAsync(StoredObject value, CancellationToken cancellationToken = default) =>
        guard.WriteAsync(static (s, ct) => new ValueTask<StoredObject>(s.inner.CreateAsync(s.value, ct)), (inner, value), cancellationToken).AsTask();

    public Task<StoredObject> UpdateAsync(StoredObject value, long? expectedRevision, CancellationToken cancellationToken = default) =>
        guard.WriteAsync(static (s, ct) => new ValueTask<StoredObject>(s.inner.UpdateAsync(s.value, s.expectedRevision, ct)), (inner, value, expectedRevision), cancellationToken).AsTask();

    public Task<StoredObject> DeleteAsync(ObjectKind kind, string key, long? expectedRevision, CancellationToken cancellationToken = default) =>
        guard.WriteAsync(static (s, ct) => new ValueTask<StoredObject>(s.inner.DeleteAsync(s.kind, s.key, s.expectedRevision, ct)), (inner, kind, key, expectedRevision), cancellationToken).AsTask();
}
