using RebarProvision.Model;

namespace RebarProvision.Store.Resilience;

internal sealed class ResilientEventStore(IEventStore inner, StoreGuard guard) : IEventStore
{
    public Task<StoredEvent> AppendAsync(StoredEvent value, CancellationToken cancellationToken = default) =>
        guard.WriteAsync(static (s, ct) => new ValueTask<StoredEvent>(s.inner.AppendAsync(s.value, ct)), (inner, value), cancellationToken).AsTask();

    public Task<IReadOnlyList<StoredEvent>> ListAsync(long afterId, string? kind = null, string? key = null, int limit = 1000, CancellationToken cancellationToken = default) =>
        guard.ReadAsync(static (s, ct) => new ValueTask<IReadOnlyList<StoredEvent>>(s.inner.ListAsync(s.afterId, s.kind, s.key, s.limit, ct)), (inner, afterId, kind, key, limit), cancellationToken).AsTask();

    public Task<int> PruneAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default) =>
        guard.IdempotentWriteAsync(static (s, ct) => new ValueTask<int>(s.inner.PruneAsync(s.olderThan, ct)), (inner, olderThan), cancellationToken).AsTask();
}
