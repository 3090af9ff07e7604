using System.Threading.Channels;
using Npgsql;

namespace RebarProvision.Store.Postgres;

/// <summary>
/// LISTENs on <see cref="PostgresStore.ChangesChannel"/> on a connection of its own and hands every object write
/// (of any node, this one included) to a channel. A lost connection is reopened, through the data source, so a
/// multi-host connection string finds a promoted replica; every connection made calls back, because changes
/// committed while nobody listened were missed and the caller must resynchronise.
/// </summary>
public sealed class PostgresChangeListener(NpgsqlDataSource dataSource)
{
    /// <summary>An idle connection is tested this often, so a silently dead one (a partition) is noticed.</summary>
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan Reconnect = TimeSpan.FromSeconds(1);

    /// <param name="changes">Receives each change; written without waiting (use an unbounded channel).</param>
    /// <param name="connected">Called once LISTEN is in place on a new connection, with 1 for the first one.</param>
    /// <param name="disconnected">Called with the error that ended a connection.</param>
    public async Task ListenAsync(ChannelWriter<ObjectChange> changes, Func<int, CancellationToken, Task> connected,
        Action<Exception> disconnected, CancellationToken cancellationToken)
    {
        var connections = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                connection.Notification += (_, e) =>
                {
                    if (ObjectChange.Parse(e.Payload) is { } change)
                    {
                        changes.TryWrite(change);
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {PostgresStore.ChangesChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken);
                }
                await connected(++connections, cancellationToken);
                while (true)
                {
                    if (!await connection.WaitAsync(Idle, cancellationToken))
                    {
                        await using var ping = new NpgsqlCommand("SELECT 1", connection) { CommandTimeout = 2 };
                        await ping.ExecuteScalarAsync(cancellationToken);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException or InvalidOperationException)
            {
                disconnected(e);
            }
            try
            {
                await Task.Delay(Reconnect, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
