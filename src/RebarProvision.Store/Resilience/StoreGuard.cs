namespace RebarProvision.Store.Resilience;

/// <summary>What the resilient sub-stores call: reads and idempotent writes may be retried, other writes may not.</summary>
internal sealed class StoreGuard(ResilientStore store, bool retries)
{
    public Task<T> ReadAsync<T>(Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken) =>
        store.ExecuteAsync(operation, retries, cancellationToken);

    /// <summary>A write that can run twice with the same outcome (a lease claim by its token, a renewal, a sweep).</summary>
    public Task<T> IdempotentWriteAsync<T>(Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken) =>
        store.ExecuteAsync(operation, retries, cancellationToken);

    public Task<T> WriteAsync<T>(Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken) =>
        store.ExecuteAsync(operation, retry: false, cancellationToken);
}
