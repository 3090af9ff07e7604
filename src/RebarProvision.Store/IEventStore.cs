using RebarProvision.Model;

namespace RebarProvision.Store;

/// <summary>The event log: appended on every change, read by id for streaming, pruned after a retention period.</summary>
public interface IEventStore
{
    /// <returns>The event with its assigned, increasing <see cref="StoredEvent.Id"/>.</returns>
    Task<StoredEvent> AppendAsync(StoredEvent value, CancellationToken cancellationToken = default);

    /// <summary>Events with an id above <paramref name="afterId"/>, oldest first, optionally filtered.</summary>
    Task<IReadOnlyList<StoredEvent>> ListAsync(long afterId, string? kind = null, string? key = null, int limit = 1000, CancellationToken cancellationToken = default);

    Task<int> PruneAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default);
}
