using RebarProvision.Store.Sqlite;

namespace RebarProvision.Store.Tests;

/// <summary>The SQLite writer's group commit when a piece of a batch fails, seen in the rows it leaves.</summary>
public sealed class SqliteWriteQueueTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rebar-writeq-").FullName;
    private SqliteDatabase _database = null!;

    public async Task InitializeAsync()
    {
        _database = new SqliteDatabase(Path.Combine(_directory, SqliteStore.FileName));
        await _database.MigrateAsync(CancellationToken.None);
    }

    public Task DisposeAsync()
    {
        _database.Dispose();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_piece_that_fails_alone_undoes_only_itself()
    {
        var (first, failing, last) = await QueueBehindABusyWriterAsync(db =>
        {
            Insert(db, "failing");
            throw new InvalidOperationException("this piece fails");
        });

        Assert.True(first.IsCompletedSuccessfully && last.IsCompletedSuccessfully);
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing);
        Assert.Equal(["busy", "first", "last"], await KeysAsync());
    }

    [Fact]
    public async Task A_piece_whose_failure_ends_the_transaction_fails_the_batch_and_the_queue_goes_on()
    {
        // As SQLite does on an I/O error or a full disk: the statement's error ends the whole transaction.
        var (first, failing, last) = await QueueBehindABusyWriterAsync(db =>
        {
            db.Statement("ROLLBACK").ExecuteNonQuery();
            throw new IOException("disk full");
        });

        await Assert.ThrowsAsync<IOException>(() => first);
        await Assert.ThrowsAsync<IOException>(() => failing);
        await Assert.ThrowsAsync<IOException>(() => last);
        Assert.Equal(["busy"], await KeysAsync());

        await _database.WriteAsync(db => Insert(db, "after"), CancellationToken.None);
        Assert.Equal(["after", "busy"], await KeysAsync());
    }

    /// <summary>Holds the writer in one write while three more queue up, so they run as one batch.</summary>
    private async Task<(Task First, Task Failing, Task Last)> QueueBehindABusyWriterAsync(Func<SqliteDatabase, int> failing)
    {
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var busy = Task.Run(() => _database.WriteAsync(db =>
        {
            entered.Set();
            release.Wait();
            return Insert(db, "busy");
        }, CancellationToken.None));
        entered.Wait();
        var first = _database.WriteAsync(db => Insert(db, "first"), CancellationToken.None);
        var failed = _database.WriteAsync(failing, CancellationToken.None);
        var last = _database.WriteAsync(db => Insert(db, "last"), CancellationToken.None);
        release.Set();
        await busy;
        await Task.WhenAny(Task.WhenAll(first, failed, last), Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.True(first.IsCompleted && failed.IsCompleted && last.IsCompleted, "the queued writes did not finish");
        return (first, failed, last);
    }

    private static int Insert(SqliteDatabase db, string key)
    {
        var insert = db.Statement("INSERT INTO events (time, kind, key, actor) VALUES (0, 'test', $key, 'test')");
        insert.Parameters.AddWithValue("$key", key);
        return insert.ExecuteNonQuery();
    }

    private Task<List<string>> KeysAsync() => _database.ReadAsync(connection =>
    {
        var command = connection.Statement("SELECT key FROM events WHERE kind = 'test' ORDER BY key");
        using var reader = command.ExecuteReader();
        var keys = new List<string>();
        while (reader.Read())
        {
            keys.Add(reader.GetString(0));
        }
        return keys;
    }, CancellationToken.None);
}
