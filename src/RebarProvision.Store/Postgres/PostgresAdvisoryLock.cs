using Npgsql;

namespace RebarProvision.Store.Postgres;

/// <summary>
/// A session-level PostgreSQL advisory lock held on a connection of its own, for work only one node may do at a
/// time. The database frees it when the holder's session ends (its process died, its connection broke), and the
/// next node to ask takes it: no timing of ours decides who holds it.
/// </summary>
public sealed class PostgresAdvisoryLock(NpgsqlDataSource dataSource, long key) : IAsyncDisposable
{
    /// <summary>"rebar" in ASCII plus 2: the singleton work (the migration lock is "rebar" plus 1).</summary>
    public const long SingletonWork = 0x72_65_62_61_72_02;

    private NpgsqlConnection? _connection;

    /// <summary>The open session's backend pid, 0 while closed: read by the heartbeat on another thread.</summary>
    private int _sessionPid;

    public bool IsHeld { get; private set; }

    /// <summary>The backend pid of the session this lock is asked on, while it is open: it ends when this process does.</summary>
    public int? SessionPid => Volatile.Read(ref _sessionPid) is var pid and not 0 ? pid : null;

    /// <summary>
    /// Takes the lock when it is free, or, while holding it, checks that the session holding it is still there.
    /// Call it about once a second.
    /// </summary>
    /// <returns>Whether this process holds the lock now.</returns>
    public async Task<bool> TryHoldAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (_connection is null)
            {
                _connection = await dataSource.OpenConnectionAsync(cancellationToken);
                Volatile.Write(ref _sessionPid, _connection.ProcessID);
            }
            await using var command = new NpgsqlCommand(IsHeld ? "SELECT true" : $"SELECT pg_try_advisory_lock({key})", _connection) { CommandTimeout = 2 };
            IsHeld = await command.ExecuteScalarAsync(cancellationToken) is true;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException or InvalidOperationException)
        {
            // The session is gone or unusable; if it held the lock, the database has freed it or will when it notices.
            IsHeld = false;
            await CloseAsync();
        }
        return IsHeld;
    }

    public async ValueTask DisposeAsync()
    {
        if (IsHeld && _connection is not null)
        {
            try
            {
                await using var unlock = new NpgsqlCommand($"SELECT pg_advisory_unlock({key})", _connection) { CommandTimeout = 2 };
                await unlock.ExecuteScalarAsync();
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException or InvalidOperationException)
            {
            }
        }
        IsHeld = false;
        await CloseAsync();
    }

    private async Task CloseAsync()
    {
        if (_connection is not null)
        {
            var connection = _connection;
            _connection = null;
            Volatile.Write(ref _sessionPid, 0);
            await connection.DisposeAsync();
        }
    }
}
