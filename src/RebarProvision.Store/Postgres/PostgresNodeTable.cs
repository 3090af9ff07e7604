using Npgsql;
using NpgsqlTypes;

namespace RebarProvision.Store.Postgres;

/// <summary>
/// The <c>nodes</c> table: each node's heartbeat row. Times come from the database's clock on both sides (the
/// heartbeat writes now(), the liveness test compares with now()), so a node's own clock never decides.
/// </summary>
public sealed class PostgresNodeTable(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// SQL for "this row's node is live", the dead-after window being <paramref name="deadAfter"/> (a parameter):
    /// heard from within it, and the session it keeps (see <see cref="HeartbeatAsync"/>) still connected. One
    /// expression for listing and for forgetting nodes, so the two never disagree.
    /// </summary>
    private static string IsLive(string deadAfter) =>
        $"now() - last_seen < {deadAfter} AND (session_pid IS NULL OR EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = nodes.session_pid))";

    /// <summary>Writes the node's row with last_seen = now(); started_at stays from the first beat of this run.</summary>
    /// <param name="sessionPid">
    /// The backend pid of a session the node keeps open (its singleton-work lock's): while it is gone, the node is
    /// dead whatever its last beat, so a killed node is counted out at the others' next beat. Null when it has none.
    /// </param>
    public async Task HeartbeatAsync(ClusterNode node, int? sessionPid, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO nodes (name, api_url, boot_url, addresses, version, started_at, last_seen, singleton, session_pid)
            VALUES ($1, $2, $3, $4, $5, $6, now(), $7, $8)
            ON CONFLICT (name) DO UPDATE SET api_url = $2, boot_url = $3, addresses = $4, version = $5,
                started_at = $6, last_seen = now(), singleton = $7, session_pid = $8
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = node.Name });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = node.ApiUrl });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = node.BootUrl });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. node.Addresses], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = node.Version });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = StoreTime.Truncate(node.StartedAt) });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = node.Singleton });
        command.Parameters.Add(new NpgsqlParameter { Value = sessionPid is { } pid ? pid : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Every node that ever beat (until deleted), by name, live when heard from within <paramref name="deadAfter"/>
    /// and its kept session (see <see cref="HeartbeatAsync"/>) is still connected.
    /// </summary>
    public async Task<IReadOnlyList<ClusterNode>> ListAsync(TimeSpan deadAfter, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT name, api_url, boot_url, addresses, version, started_at, last_seen, singleton,
                {IsLive("$1")}
            FROM nodes ORDER BY name COLLATE "C"
            """);
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = deadAfter });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var nodes = new List<ClusterNode>();
        while (await reader.ReadAsync(cancellationToken))
        {
            nodes.Add(new ClusterNode(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<string[]>(3),
                reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset>(6),
                reader.GetBoolean(7), reader.GetBoolean(8)));
        }
        return nodes;
    }

    /// <summary>Forgets a node, only when it is dead: a live node would write its row back within a second anyway.</summary>
    /// <returns>False when no dead node has the name.</returns>
    public async Task<bool> DeleteDeadAsync(string name, TimeSpan deadAfter, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"DELETE FROM nodes WHERE name = $1 AND NOT ({IsLive("$2")})");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = deadAfter });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }
}
