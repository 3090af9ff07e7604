namespace RebarProvision.Store.Resilience;

/// <summary>
/// What the resilient sub-stores call: reads and idempotent writes may be retried, other writes may not. Each takes
/// its call's arguments as state for a static callback (Polly's state-passing overloads), so no closure per call.
/// </summary>
internal sealed class StoreGuard(ResilientStore store, bool retries)
{
    public ValueTask<T> ReadAsync<T, TState>(Func<TState, CancellationToken, ValueTask<T>> operation, TState state, CancellationToken cancellationToken) =>
        store.ExecuteAsync(operation, state, retries, cancellationToken);

    /// <summary>A write that can run twice with the same outcome (a lease claim by its token, a renewal, a sweep).</summary>
    public ValueTask<T> IdempotentWriteAsync<T, TState>(Func<TState, CancellationToken, ValueTask<T>> operation, TState state, CancellationToken cancellationToken) =>
        store.ExecuteAsync(operation, state, retries, cancellationToken);

    public ValueTask<T> WriteAsync<T, TState>(Func<TState, CancellationToken, ValueTask<T>> operation, TState state, CancellationToken cancellationToken) =>
        store.ExecuteAsync(operation, state, retry: false, cancellationToken);
}
