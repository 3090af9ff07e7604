using Microsoft.Data.Sqlite;
using RebarProvision.Store.Sqlite;

namespace RebarProvision.Store;

/// <summary>
/// The embedded store: one SQLite file, <c>rebar.db</c>, in the data directory. For one node: one process holds the
/// directory at a time (<see cref="DataDirectoryLock"/>), which lets leases be read from memory; WAL lets readers run
/// beside the single writer.
/// </summary>
public sealed class SqliteStore : IStore
{
    public const string FileName = "rebar.db";

    private readonly DataDirectoryLock _lock;
    private readonly SqliteDatabase _database;
    private readonly SqliteLeaseStore _leases;

    /// <param name="dataDirectory">Created when missing.</param>
    /// <param name="time">The clock for CreatedAt/UpdatedAt and event times; the system clock when null.</param>
    public SqliteStore(string dataDirectory, TimeProvider? time = null)
    {
        Directory.CreateDirectory(dataDirectory);
        time ??= TimeProvider.System;
        var path = System.IO.Path.Combine(dataDirectory, FileName);
        _lock = DataDirectoryLock.Take(path);
        try
        {
            _database = new SqliteDatabase(path);
        }
        catch
        {
            _lock.Dispose();
            throw;
        }
        Objects = new SqliteObjectStore(_database, time);
        Leases = _leases = new SqliteLeaseStore(_database, time);
        Events = new SqliteEventStore(_database, time);
    }

    public StoreKind Kind => StoreKind.Sqlite;

    /// <summary>The database file.</summary>
    public string Path => _database.Path;

    public IObjectStore Objects { get; }

    public ILeaseStore Leases { get; }

    public IEventStore Events { get; }

    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        await _database.MigrateAsync(cancellationToken);
        await _leases.LoadCacheAsync(cancellationToken);
    }

    public Task<bool> PingAsync(CancellationToken cancellationToken = default) =>
        _database.ReadAsync(connection =>
        {
            var command = connection.Statement("SELECT 1");
            return command.ExecuteScalar() is 1L;
        }, cancellationToken);

    /// <summary>Another connection holds the lock past the busy timeout (checkpoints, a long read).</summary>
    public bool IsTransient(Exception exception) => exception is SqliteException e && SqliteDatabase.IsBusy(e);

    public ValueTask DisposeAsync()
    {
        try
        {
            _database.Dispose();
        }
        finally
        {
            _lock.Dispose();
        }
        return ValueTask.CompletedTask;
    }
}
