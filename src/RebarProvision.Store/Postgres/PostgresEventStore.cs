using System.Text.Json.Nodes;
using Npgsql;
using RebarProvision.Model;

namespace RebarProvision.Store.Postgres;

internal sealed class PostgresEventStore(PostgresDatabase database, TimeProvider time) : IEventStore
{
    public async Task<StoredEvent> AppendAsync(StoredEvent value, CancellationToken cancellationToken = default)
    {
        var at = StoreTime.Truncate(value.Time == default ? time.GetUtcNow() : value.Time);
        await using var command = database.Command(
            "INSERT INTO events (time, kind, key, actor, object) VALUES ($1, $2, $3, $4, $5) RETURNING id");
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = at });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = value.Kind });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = value.Key });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = value.Actor });
        command.Parameters.Add(PostgresDatabase.Jsonb(value.Object?.ToJsonString()));
        var id = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        return value with { Id = id, Time = at };
    }

    public async Task<IReadOnlyList<StoredEvent>> ListAsync(long afterId, string? kind = null, string? key = null, int limit = 1000, CancellationToken cancellationToken = default)
    {
        await using var command = database.Command(
            """
            SELECT id, time, kind, key, actor, object::text FROM events
            WHERE id > $1 AND ($2::text IS NULL OR kind = $2) AND ($3::text IS NULL OR key = $3)
            ORDER BY id LIMIT $4
            """);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = afterId });
        command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = kind, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = key, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<StoredEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new StoredEvent
            {
                Id = reader.GetInt64(0),
                Time = reader.GetFieldValue<DateTimeOffset>(1),
                Kind = reader.GetString(2),
                Key = reader.GetString(3),
                Actor = reader.GetString(4),
                Object = reader.IsDBNull(5) ? null : JsonNode.Parse(reader.GetString(5)),
            });
        }
        return list;
    }

    public async Task<int> PruneAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default)
    {
        await using var command = database.Command("DELETE FROM events WHERE time < $1");
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = StoreTime.Truncate(olderThan) });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
