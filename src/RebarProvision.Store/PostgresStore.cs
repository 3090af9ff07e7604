using Npgsql;
using RebarProvision.Store.Postgres;

namespace RebarProvision.Store;

/// <summary>
/// The production store: PostgreSQL through one <see cref="NpgsqlDataSource"/>. Several nodes may share one database;
/// its constraints, not timing, keep them from handing out an address twice. Object writes NOTIFY
/// <see cref="ChangesChannel"/> with "kind:key:revision".
/// </summary>
public sealed class PostgresStore : IStore
{
    public const string ChangesChannel = PostgresDatabase.ChangesChannel;

    private readonly PostgresDatabase _database;
    private readonly PostgresLeaseStore _leases;

    /// <param name="connectionString">An Npgsql connection string; statements are auto-prepared unless it says otherwise.</param>
    /// <param name="time">The clock for CreatedAt/UpdatedAt and event times; the system clock when null.</param>
    public PostgresStore(string connectionString, TimeProvider? time = null)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0)
        {
            // The lease statements run thousands of times a second; preparing them once saves the parse and plan.
            builder.ConnectionStringBuilder.MaxAutoPrepare = 32;
        }
        // A unique violation in an object write names the field through the batch statement that failed.
        builder.ConnectionStringBuilder.IncludeFailedBatchedCommand = true;
        _database = new PostgresDatabase(builder.Build());
        time ??= TimeProvider.System;
        Objects = new PostgresObjectStore(_database, time);
        _leases = new PostgresLeaseStore(_database, time);
        Leases = _leases;
        Events = new PostgresEventStore(_database, time);
    }

    public StoreKind Kind => StoreKind.Postgres;

    /// <summary>The data source, for LISTEN and for the host's own advisory locks (singleton work).</summary>
    public NpgsqlDataSource DataSource => _database.DataSource;

    public IObjectStore Objects { get; }

    public ILeaseStore Leases { get; }

    public IEventStore Events { get; }

    /// <summary>Applies pending migrations under a PostgreSQL advisory lock, so nodes starting together take turns.</summary>
    public Task MigrateAsync(CancellationToken cancellationToken = default) => _database.MigrateAsync(cancellationToken);

    public async Task<bool> PingAsync(CancellationToken cancellationToken = default)
    {
        await using var command = _database.Command("SELECT 1");
        return await command.ExecuteScalarAsync(cancellationToken) is 1;
    }

    /// <summary>Npgsql's own judgement: lost connections, failovers, serialization failures, too many clients.</summary>
    /// <summary>
    /// Npgsql's own verdict, plus what a failover says: a pooled connection to a primary that was shut down answers
    /// 57P01-57P03 (operator intervention) or a 08 class (connection exception), and a standby not yet promoted answers
    /// 25006 (read-only transaction). Each goes away on a fresh connection to the new primary, so it is worth a retry.
    /// </summary>
    public bool IsTransient(Exception exception) => exception switch
    {
        PostgresException { SqlState: var state } when state.StartsWith("57P", StringComparison.Ordinal)
            || state.StartsWith("08", StringComparison.Ordinal) || state == "25006" => true,
        NpgsqlException e => e.IsTransient,
        _ => false,
    };

    public async ValueTask DisposeAsync()
    {
        await _leases.DisposeAsync();
        await _database.DisposeAsync();
    }
}
