using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;
using RebarProvision.Store.Resilience;

namespace RebarProvision.Store;

/// <summary>
/// The one resilience seam (DESIGN §7): timeouts, retries with jitter on transient errors, and a circuit breaker
/// around a store. Reads and idempotent lease writes are retried; object writes and event appends are not (a retry
/// after a lost commit would report a conflict for a write that happened). When the database is unreachable or the
/// circuit is open, calls fail fast with <see cref="StoreUnavailableException"/>, which the API answers with 503.
/// </summary>
public sealed class ResilientStore : IStore
{
    private readonly IStore _inner;
    private readonly ResiliencePipeline _guard;
    private readonly ResiliencePipeline _retry;
    private readonly CircuitBreakerStateProvider _circuit = new();

    /// <param name="options">The timeouts, retries and circuit breaker thresholds (the host uses the defaults).</param>
    /// <param name="time">The clock of timeouts, retry delays and the circuit's break.</param>
    public ResilientStore(IStore inner, ResilientStoreOptions options, TimeProvider time)
    {
        _inner = inner;
        var transient = new PredicateBuilder().Handle<Exception>(IsTransient);
        _guard = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = transient,
                FailureRatio = options.FailureRatio,
                MinimumThroughput = options.MinimumThroughput,
                SamplingDuration = options.SamplingDuration,
                BreakDuration = options.BreakDuration,
                StateProvider = _circuit,
            })
            .AddTimeout(options.Timeout)
            .Build();
        _retry = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = transient,
                MaxRetryAttempts = Math.Max(options.RetryAttempts, 1),
                Delay = options.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            })
            .Build();
        var retries = options.RetryAttempts > 0;
        var guard = new StoreGuard(this, retries);
        Objects = new ResilientObjectStore(inner.Objects, guard);
        Leases = new ResilientLeaseStore(inner.Leases, guard);
        Events = new ResilientEventStore(inner.Events, guard);
    }

    public StoreKind Kind => _inner.Kind;

    /// <summary>The store under the resilience: the cluster LISTENs and heartbeats on PostgreSQL's own connections.</summary>
    public IStore Inner => _inner;

    /// <summary>Closed when healthy; Open while calls are refused; HalfOpen while one call tests the database.</summary>
    public CircuitState CircuitState => _circuit.CircuitState;

    public IObjectStore Objects { get; }

    public ILeaseStore Leases { get; }

    public IEventStore Events { get; }

    /// <summary>Not guarded: migrations run once at start, and the host should see the real error.</summary>
    public Task MigrateAsync(CancellationToken cancellationToken = default) => _inner.MigrateAsync(cancellationToken);

    /// <summary>Asks the database directly, circuit or not, so a health check sees the truth.</summary>
    public async Task<bool> PingAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _inner.PingAsync(cancellationToken);
        }
        catch (Exception e) when (IsTransient(e))
        {
            return false;
        }
    }

    public ValueTask DisposeAsync() => _inner.DisposeAsync();

    /// <summary>
    /// Errors worth a retry and counted by the breaker: the wrapped store's own (it knows its driver), and timeouts
    /// from any layer.
    /// </summary>
    public bool IsTransient(Exception exception) =>
        exception is TimeoutRejectedException or TimeoutException or System.Net.Sockets.SocketException || _inner.IsTransient(exception);

    /// <summary>
    /// Runs one store call through the pipelines. The call and its arguments travel as <paramref name="state"/> to a
    /// static callback, so a call the store answers at once (the SQLite lease cache) allocates no closure.
    /// </summary>
    internal async ValueTask<T> ExecuteAsync<T, TState>(Func<TState, CancellationToken, ValueTask<T>> operation, TState state, bool retry, CancellationToken cancellationToken)
    {
        try
        {
            if (!retry)
            {
                return await _guard.ExecuteAsync(operation, state, cancellationToken);
            }
            return await _retry.ExecuteAsync(
                static (s, outer) => s.Guard.ExecuteAsync(s.Operation, s.State, outer),
                (Guard: _guard, Operation: operation, State: state),
                cancellationToken);
        }
        catch (BrokenCircuitException e)
        {
            throw new StoreUnavailableException($"the {Kind} store is unavailable: {e.Message}", e) { RetryAfter = e.RetryAfter };
        }
        catch (Exception e) when (IsTransient(e) && !cancellationToken.IsCancellationRequested)
        {
            throw new StoreUnavailableException($"the {Kind} store did not answer: {e.Message}", e);
        }
    }
}
