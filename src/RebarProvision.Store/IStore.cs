namespace RebarProvision.Store;

/// <summary>
/// The one seam between the server and its database: documents, leases and events. Implemented by the embedded
/// SQLite store (one node) and the PostgreSQL store (production, HA). Resilience wraps this seam, not call sites.
/// </summary>
public interface IStore : IAsyncDisposable
{
    StoreKind Kind { get; }

    IObjectStore Objects { get; }

    ILeaseStore Leases { get; }

    IEventStore Events { get; }

    /// <summary>Applies pending schema migrations. Idempotent, and safe when several processes start at once.</summary>
    Task MigrateAsync(CancellationToken cancellationToken = default);

    /// <summary>True when the database answers a trivial query.</summary>
    Task<bool> PingAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Whether an error this store threw means its database is away or busy (worth a retry, counted by the circuit
    /// breaker), not that the request was wrong. Each store knows its own driver's errors.
    /// </summary>
    bool IsTransient(Exception exception);
}
