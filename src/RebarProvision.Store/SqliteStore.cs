using RebarProvision.Store.Sqlite;

namespace RebarProvision.Store;

/// <summary>
/// The embedded store: one SQLite file, <c>rebar.db</c>, in the data directory. For one node; WAL lets readers run
/// beside the single writer.
/// </summary>
public sealed class SqliteStore : IStore
{
    public const string FileName = "rebar.db";

    private readonly SqliteDatabase _database;

    /// <param name="dataDirectory">Created when missing.</param>
    /// <param name="time">The clock for CreatedAt/UpdatedAt and event times; the system clock when null.</param>
    public SqliteStore(string dataDirectory, TimeProvider? time = null)
    {
        Directory.CreateDirectory(dataDirectory);
        time ??= TimeProvider.System;
        _database = new SqliteDatabase(System.IO.Path.Combine(dataDirectory, FileName));
        Objects = new SqliteObjectStore(_database, time);
        Leases = new SqliteLeaseStore(_database, time);
        Events = new SqliteEventStore(_database, time);
    }

    public string Kind => "sqlite";

    /// <summary>The database file.</summary>
    public string Path => _database.Path;

    public IObjectStore Objects { get; }

    public ILeaseStore Leases { get; }

    public IEventStore Events { get; }

    public Task MigrateAsync(CancellationToken cancellationToken = default) => _database.MigrateAsync(cancellationToken);

    public Task<bool> PingAsync(CancellationToken cancellationToken = default) =>
        _database.ReadAsync(connection =>
        {
            var command = connection.Statement("SELECT 1");
            return command.ExecuteScalar() is 1L;
        }, cancellationToken);

    public ValueTask DisposeAsync()
    {
        _database.Dispose();
        return ValueTask.CompletedTask;
    }
}
