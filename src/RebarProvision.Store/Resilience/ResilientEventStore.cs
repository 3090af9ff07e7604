using RebarProvision.Model;

namespace RebarProvision.Store.Resilience;

internal sealed class ResilientEventStore(IEventStore inner, StoreGuard guard) : IEventStore
{
    public Task<StoredEvent> AppendAsync(StoredEvent value, CancellationToken cancellationToken = default) =>
        guard.WriteAsync(ct => inner.AppendAsync(value, ct), cancellationToken);

    public Task<IReadOnlyList<StoredEvent>> ListAsync(long afterId, string? kind = null, string? key = null, int limit = 1000, CancellationToken cancellationToken = default) =>
        guard.ReadAsync(ct => inner.ListAsync(afterId, kind, key, limit, ct), cancellationToken);

    public Task<int> PruneAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default) =>
        guard.IdempotentWriteAsync(ct => inner.PruneAsync(olderThan, ct), cancellationToken);
}
