using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using RebarProvision.Store.Migrations;

namespace RebarProvision.Store.Sqlite;

/// <summary>
/// The one SQLite file: a single writer connection behind a lock (SQLite allows one writer at a time anyway, and
/// queueing in-process is cheaper than busy retries) with its statements prepared once, and pooled connections for
/// readers, which WAL lets run beside the writer.
/// </summary>
internal sealed class SqliteDatabase : IDisposable
{
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly SqliteConnection _writer;
    private readonly Dictionary<string, SqliteCommand> _statements = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NativeStatement> _native = new(StringComparer.Ordinal);
    private readonly string _readConnectionString;
    private readonly Channel<QueuedWrite> _queue = Channel.CreateUnbounded<QueuedWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _queueRunner;
    private readonly Task _checkpointer;
    private readonly CancellationTokenSource _stopping = new();
    private readonly System.Collections.Concurrent.ConcurrentStack<SqliteReadConnection> _readers = new();
    private int _idleReaders;
    private readonly List<Action> _onCommit = [];
    private long? _lastRevision; // the last revision taken in the open transaction; null until it takes one
    private long _readRevision;
    private volatile bool _disposed;

    /// <summary>Reader connections kept open between reads: more than the DHCP workers, so a busy server never reopens one.</summary>
    private const int MaxIdleReaders = 64;

    /// <summary>How often <see cref="CheckpointAsync"/> runs.</summary>
    private static readonly TimeSpan CheckpointInterval = TimeSpan.FromMilliseconds(100);

    public SqliteDatabase(string path)
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 };
        _readConnectionString = builder.ToString();
        _writer = new SqliteConnection(builder.ToString());
        _writer.Open();
        // WAL persists in the file; synchronous=NORMAL is safe with WAL (a power cut can lose the last commits, never
        // corrupt the file) and is what makes thousands of lease transactions per second possible. A new file gets
        // 1 KiB pages: a lease claim dirties a page in each of three b-trees, and every page goes to the WAL whole,
        // so 4 KiB pages wrote 12 KiB per claim, and at DHCP-storm rates the kernel's flushing of that stalled the
        // writer. The writer keeps 64 MiB of pages cached (the default 2 MiB reread index pages on every claim).
        // Checkpoints are CheckpointAsync's; the writer's own only backs that up if the WAL passes 100,000 pages.
        Execute(_writer, "PRAGMA page_size=1024; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000; PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=100000;");
        _queueRunner = Task.Run(RunQueueAsync);
        _checkpointer = Task.Run(CheckpointAsync);
    }

    public string Path => _writer.DataSource;

    /// <summary>
    /// Runs <paramref name="work"/> in an IMMEDIATE transaction on the writer; an exception from it undoes its writes
    /// only. An idle writer runs the work at once; when busy, the work queues and all queued work commits together
    /// in one transaction (group commit), each piece inside a savepoint of its own, which keeps concurrent callers
    /// from paying one commit and one hand-off each.
    /// </summary>
    public Task<T> WriteAsync<T>(Func<SqliteDatabase, T> work, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_writeLock.Wait(0, CancellationToken.None))
        {
            try
            {
                Begin();
                T result;
                try
                {
                    result = work(this);
                }
                catch
                {
                    RollBack();
                    throw;
                }
                try
                {
                    Commit();
                }
                catch
                {
                    RollBack();
                    throw;
                }
                RunOnCommit();
                return Task.FromResult(result);
            }
#pragma warning disable CA1031 // Not swallowed: the caller gets it in the returned task, as from an async method.
            catch (Exception e)
#pragma warning restore CA1031
            {
                return Task.FromException<T>(e);
            }
            finally
            {
                _writeLock.Release();
            }
        }
        var request = new QueuedWrite<T>(work, cancellationToken);
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(request), this);
        return request.Task;
    }

    private async Task RunQueueAsync()
    {
        var batch = new List<QueuedWrite>();
        while (await _queue.Reader.WaitToReadAsync())
        {
            await _writeLock.WaitAsync();
            try
            {
                while (batch.Count < 512 && _queue.Reader.TryRead(out var request))
                {
                    batch.Add(request);
                }
                RunBatch(batch);
            }
            finally
            {
                _writeLock.Release();
                batch.Clear();
            }
        }
    }

    /// <summary>
    /// Runs the batch in one transaction, each piece in a savepoint. Whatever fails, every piece ends with its result
    /// or an error and the queue goes on: a piece's own error undoes that piece only, unless SQLite ended the whole
    /// transaction with it (an I/O error, a full disk), and then, as when BEGIN or COMMIT fails, the batch fails together.
    /// </summary>
    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "The write queue's boundary: every caller in the batch gets the exception, and the queue goes on with the next batch.")]
    private void RunBatch(List<QueuedWrite> batch)
    {
        try
        {
            Begin();
            foreach (var request in batch)
            {
                RunPiece(request);
            }
            Commit();
        }
        catch (Exception e)
        {
            RollBack();
            // Pieces that failed already keep their own error; the others were undone with the transaction.
            batch.ForEach(r => r.Fail(e));
            return;
        }
        RunOnCommit();
        batch.ForEach(r => r.Complete());
    }

    private void RunPiece(QueuedWrite request)
    {
        var actions = _onCommit.Count;
        Control("SAVEPOINT write");
        try
        {
            request.Run(this);
            Control("RELEASE write");
        }
        catch (Exception e)
        {
            if (!InTransaction)
            {
                throw;
            }
            Control("ROLLBACK TO write");
            Control("RELEASE write");
            _onCommit.RemoveRange(actions, _onCommit.Count - actions);
            request.Fail(e);
        }
    }

    private bool InTransaction => SQLitePCL.raw.sqlite3_get_autocommit(_writer.Handle) == 0;

    /// <summary>A prepared statement on the writer, its parameters cleared; only valid inside <see cref="WriteAsync"/>.</summary>
    public SqliteCommand Statement(string sql)
    {
        if (!_statements.TryGetValue(sql, out var command))
        {
            command = _writer.CreateCommand();
            command.CommandText = sql;
            _statements[sql] = command;
        }
        command.Parameters.Clear();
        return command;
    }

    /// <summary>
    /// The writer's <see cref="NativeStatement"/> for <paramref name="sql"/>, prepared on first use; for the statements
    /// every lease claim runs. Only valid inside <see cref="WriteAsync"/>; reset it when done with its rows.
    /// </summary>
    public NativeStatement Native(string sql)
    {
        if (!_native.TryGetValue(sql, out var statement))
        {
            statement = new NativeStatement(_writer.Handle!, sql);
            _native[sql] = statement;
        }
        return statement;
    }

    /// <summary>
    /// Takes <paramref name="count"/> store-wide revisions and returns the first. The counter is read once per
    /// transaction and written back once at its commit, not updated per write: a group commit of hundreds of lease
    /// claims would otherwise rewrite the one revision row hundreds of times. A rolled-back transaction leaves a gap,
    /// which is fine: revisions order writes, they do not count them.
    /// </summary>
    public long NextRevisions(int count = 1)
    {
        if (_lastRevision is not { } last)
        {
            var read = Native("SELECT value FROM revision");
            read.Step();
            _readRevision = last = read.Int64(0);
            read.Reset();
        }
        _lastRevision = last + count;
        return last + 1;
    }

    /// <summary>
    /// Runs <paramref name="action"/> after the commit of the write in progress, still under the write lock and
    /// before its caller sees the result; dropped when the write rolls back. Only valid inside <see cref="WriteAsync"/>.
    /// </summary>
    public void OnCommit(Action action) => _onCommit.Add(action);

    private void Begin()
    {
        _onCommit.Clear();
        Control("BEGIN IMMEDIATE");
        _lastRevision = null;
    }

    /// <summary>
    /// Ends the open transaction, if a failed statement or COMMIT has not ended it already. Never throws: it runs while
    /// an error is on its way to the callers, and that error is the one to report.
    /// </summary>
    private void RollBack()
    {
        _onCommit.Clear();
        try
        {
            if (InTransaction)
            {
                Control("ROLLBACK");
            }
        }
        catch (SqliteException)
        {
            // The next BEGIN reports the connection's state to its own callers.
        }
    }

    /// <summary>
    /// The committed writes' actions. They must not throw (the write is committed; its caller must not hear it
    /// failed); one that does anyway is skipped so the others and the queue go on.
    /// </summary>
    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "A committed write must not be reported failed, nor the queue stopped, by a follow-up action; the registering store guards its own actions.")]
    private void RunOnCommit()
    {
        foreach (var action in _onCommit)
        {
            try
            {
                action();
            }
            catch (Exception)
            {
                // The registering store guards its own actions (SqliteLeaseStore reloads its cache); nothing to add here.
            }
        }
        _onCommit.Clear();
    }

    private void Commit()
    {
        if (_lastRevision is { } last && last != _readRevision)
        {
            Native("UPDATE revision SET value = ?1").Bind(1, last).Execute();
        }
        Control("COMMIT");
    }

    /// <summary>
    /// Runs <paramref name="work"/> on a reader connection lent for the call. Readers stay open with their
    /// statements prepared (a DHCP exchange reads the same few statements thousands of times a second); WAL lets
    /// them read beside the writer.
    /// </summary>
    [SuppressMessage("Reliability", "CA2000:Dispose objects before losing scope", Justification = "The reader is lent for the call: GiveBack pools or disposes it on every path.")]
    public Task<T> ReadAsync<T>(Func<SqliteReadConnection, T> work, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_readers.TryPop(out var reader))
        {
            Interlocked.Decrement(ref _idleReaders);
        }
        else
        {
            reader = new SqliteReadConnection(_readConnectionString);
        }
        try
        {
            return Task.FromResult(work(reader));
        }
        finally
        {
            GiveBack(reader);
        }
    }

    private void GiveBack(SqliteReadConnection reader)
    {
        if (_disposed || Interlocked.Increment(ref _idleReaders) > MaxIdleReaders)
        {
            if (!_disposed)
            {
                Interlocked.Decrement(ref _idleReaders);
            }
            reader.Dispose();
            return;
        }
        _readers.Push(reader);
        // Dispose may have emptied the stack between the check and the push.
        if (_disposed && _readers.TryPop(out var late))
        {
            late.Dispose();
        }
    }

    /// <summary>
    /// Copies committed WAL pages back into the database ten times a second, on a connection of its own, beside the
    /// writer (a PASSIVE checkpoint waits for nobody). A checkpoint ends in fsyncs, and on ext4 an fsync that has much
    /// to flush holds up the writer's next WAL append: SQLite's default (the committing writer checkpoints every
    /// 1,000 pages) and a one-second interval both stalled commits for 20-60 ms under a DHCP storm, and each stall
    /// came out as a burst of hundreds of replies at once. Small, frequent checkpoints keep each flush short
    /// (tests/perf/dhcp/RESULTS.md).
    /// </summary>
    private async Task CheckpointAsync()
    {
        using var connection = new SqliteConnection(_readConnectionString);
        try
        {
            while (true)
            {
                await Task.Delay(CheckpointInterval, _stopping.Token);
                try
                {
                    if (connection.State != System.Data.ConnectionState.Open)
                    {
                        connection.Open();
                    }
                    Execute(connection, "PRAGMA wal_checkpoint(PASSIVE)");
                }
                catch (SqliteException)
                {
                    // Busy or not yet migrated: the next round, or the writer's automatic checkpoint, catches up.
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Applies pending migrations in one IMMEDIATE transaction: a second process opening the same file waits for
    /// the first and then finds nothing left to do.
    /// </summary>
    public Task MigrateAsync(CancellationToken cancellationToken) => WriteAsync(_ =>
    {
        Execute(_writer, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
        var applied = new HashSet<long>();
        using (var command = _writer.CreateCommand())
        {
            command.CommandText = "SELECT version FROM schema_migrations";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                applied.Add(reader.GetInt64(0));
            }
        }
        foreach (var migration in Migration.For("Sqlite").Where(m => !applied.Contains(m.Version)))
        {
            Execute(_writer, migration.Sql);
            using var record = _writer.CreateCommand();
            record.CommandText = "INSERT INTO schema_migrations (version, applied_at) VALUES ($version, $at)";
            record.Parameters.AddWithValue("$version", migration.Version);
            record.Parameters.AddWithValue("$at", StoreTime.ToMicroseconds(DateTimeOffset.UtcNow));
            record.ExecuteNonQuery();
        }
        return true;
    }, cancellationToken);

    public static bool IsConstraintViolation(SqliteException e) => e.SqliteErrorCode == 19; // SQLITE_CONSTRAINT

    public static bool IsBusy(SqliteException e) => e.SqliteErrorCode is 5 or 6; // SQLITE_BUSY, SQLITE_LOCKED

    public void Dispose()
    {
        _disposed = true;
        while (_readers.TryPop(out var reader))
        {
            reader.Dispose();
        }
        _queue.Writer.TryComplete();
        _queueRunner.GetAwaiter().GetResult();
        _stopping.Cancel();
        _checkpointer.GetAwaiter().GetResult();
        _stopping.Dispose();
        foreach (var command in _statements.Values)
        {
            command.Dispose();
        }
        foreach (var statement in _native.Values)
        {
            statement.Dispose();
        }
        _writer.Dispose();
        // Pooled readers keep the file open; a store reopened on the same directory must find it closed.
        using (var pooled = new SqliteConnection(_readConnectionString))
        {
            SqliteConnection.ClearPool(pooled);
        }
        _writeLock.Dispose();
    }

    /// <summary>Transaction control on the writer, prepared once like every other writer statement.</summary>
    private void Control(string sql) => Native(sql).Execute();

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
