using System.Text.Json.Nodes;
using RebarProvision.Model;

namespace RebarProvision.Store.Sqlite;

internal sealed class SqliteEventStore(SqliteDatabase database, TimeProvider time) : IEventStore
{
    public Task<StoredEvent> AppendAsync(StoredEvent value, CancellationToken cancellationToken = default)
    {
        var at = StoreTime.Truncate(value.Time == default ? time.GetUtcNow() : value.Time);
        var json = value.Object?.ToJsonString();
        return database.WriteAsync(db =>
        {
            var insert = db.Statement(
                "INSERT INTO events (time, kind, key, actor, object) VALUES ($time, $kind, $key, $actor, $object) RETURNING id");
            insert.Parameters.AddWithValue("$time", StoreTime.ToMicroseconds(at));
            insert.Parameters.AddWithValue("$kind", value.Kind);
            insert.Parameters.AddWithValue("$key", value.Key);
            insert.Parameters.AddWithValue("$actor", value.Actor);
            insert.Parameters.AddWithValue("$object", (object?)json ?? DBNull.Value);
            return value with { Id = (long)insert.ExecuteScalar()!, Time = at };
        }, cancellationToken);
    }

    public Task<IReadOnlyList<StoredEvent>> ListAsync(long afterId, string? kind = null, string? key = null, int limit = 1000, CancellationToken cancellationToken = default) =>
        database.ReadAsync<IReadOnlyList<StoredEvent>>(connection =>
        {
            var command = connection.Statement("""
                SELECT id, time, kind, key, actor, object FROM events
                WHERE id > $after AND ($kind IS NULL OR kind = $kind) AND ($key IS NULL OR key = $key)
                ORDER BY id LIMIT $limit
                """);
            command.Parameters.AddWithValue("$after", afterId);
            command.Parameters.AddWithValue("$kind", (object?)kind ?? DBNull.Value);
            command.Parameters.AddWithValue("$key", (object?)key ?? DBNull.Value);
            command.Parameters.AddWithValue("$limit", limit);
            using var reader = command.ExecuteReader();
            var list = new List<StoredEvent>();
            while (reader.Read())
            {
                list.Add(new StoredEvent
                {
                    Id = reader.GetInt64(0),
                    Time = StoreTime.FromMicroseconds(reader.GetInt64(1)),
                    Kind = reader.GetString(2),
                    Key = reader.GetString(3),
                    Actor = reader.GetString(4),
                    Object = reader.IsDBNull(5) ? null : JsonNode.Parse(reader.GetString(5)),
                });
            }
            return list;
        }, cancellationToken);

    public Task<int> PruneAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default) =>
        database.WriteAsync(db =>
        {
            var delete = db.Statement("DELETE FROM events WHERE time < $time");
            delete.Parameters.AddWithValue("$time", StoreTime.ToMicroseconds(olderThan));
            return delete.ExecuteNonQuery();
        }, cancellationToken);
}
