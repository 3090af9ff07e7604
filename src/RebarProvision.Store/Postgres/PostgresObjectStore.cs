using Npgsql;
using RebarProvision.Model;

namespace RebarProvision.Store.Postgres;

internal sealed class PostgresObjectStore(PostgresDatabase database, TimeProvider time) : IObjectStore
{
    private const string Columns = "revision, created_at, updated_at, body::text";

    public async Task<StoredObject?> GetAsync(ObjectKind kind, string key, CancellationToken cancellationToken = default)
    {
        await using var command = database.Command($"SELECT {Columns} FROM objects WHERE kind = @kind AND key = @key");
        command.Parameters.AddWithValue("kind", kind.Name);
        command.Parameters.AddWithValue("key", key);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(kind, reader) : null;
    }

    public async Task<IReadOnlyList<StoredObject>> ListAsync(ObjectKind kind, CancellationToken cancellationToken = default)
    {
        // COLLATE "C": keys sort by code point, as in SQLite, whatever the database's locale.
        await using var command = database.Command($"SELECT {Columns} FROM objects WHERE kind = @kind ORDER BY key COLLATE \"C\"");
        command.Parameters.AddWithValue("kind", kind.Name);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<StoredObject>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(Read(kind, reader));
        }
        return list;
    }

    public async Task<long> CountAsync(ObjectKind kind, CancellationToken cancellationToken = default)
    {
        await using var command = database.Command("SELECT count(*) FROM objects WHERE kind = @kind");
        command.Parameters.AddWithValue("kind", kind.Name);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<string?> FindKeyAsync(ObjectKind kind, string field, string value, CancellationToken cancellationToken = default)
    {
        await using var command = database.Command("SELECT key FROM object_unique WHERE kind = @kind AND field = @field AND value = @value");
        command.Parameters.AddWithValue("kind", kind.Name);
        command.Parameters.AddWithValue("field", field);
        command.Parameters.AddWithValue("value", value);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    public async Task<StoredObject> CreateAsync(StoredObject value, CancellationToken cancellationToken = default)
    {
        var kind = ObjectDocuments.KindOf(value);
        var uniques = ObjectDocuments.UniqueValues(value);
        var now = StoreTime.Truncate(time.GetUtcNow());
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var revision = await NextRevision(connection, cancellationToken);
        var (body, previous) = ObjectDocuments.Stamp(value, revision, now, now);
        try
        {
            await using var batch = new NpgsqlBatch(connection, transaction);
            var insert = new NpgsqlBatchCommand(
                "INSERT INTO objects (kind, key, revision, created_at, updated_at, body) VALUES ($1, $2, $3, $4, $4, $5)");
            insert.Parameters.Add(new NpgsqlParameter { Value = kind.Name });
            insert.Parameters.Add(new NpgsqlParameter { Value = value.Key });
            insert.Parameters.Add(new NpgsqlParameter { Value = revision });
            insert.Parameters.Add(new NpgsqlParameter { Value = now });
            insert.Parameters.Add(PostgresDatabase.Jsonb(body));
            batch.BatchCommands.Add(insert);
            AddUniques(batch, kind, value.Key, uniques);
            AddNotify(batch, kind, value.Key, revision);
            await Execute(batch, kind, value.Key, uniques, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return value;
        }
        catch
        {
            ObjectDocuments.Restore(value, previous);
            throw;
        }
    }

    public async Task<StoredObject> UpdateAsync(StoredObject value, long? expectedRevision, CancellationToken cancellationToken = default)
    {
        var kind = ObjectDocuments.KindOf(value);
        var uniques = ObjectDocuments.UniqueValues(value);
        var now = StoreTime.Truncate(time.GetUtcNow());
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var current = await LockCurrent(connection, kind, value.Key, expectedRevision, cancellationToken);
        var (body, previous) = ObjectDocuments.Stamp(value, current.NextRevision, current.CreatedAt, now);
        try
        {
            await using var batch = new NpgsqlBatch(connection, transaction);
            var update = new NpgsqlBatchCommand("UPDATE objects SET revision = $3, updated_at = $4, body = $5 WHERE kind = $1 AND key = $2");
            update.Parameters.Add(new NpgsqlParameter { Value = kind.Name });
            update.Parameters.Add(new NpgsqlParameter { Value = value.Key });
            update.Parameters.Add(new NpgsqlParameter { Value = current.NextRevision });
            update.Parameters.Add(new NpgsqlParameter { Value = now });
            update.Parameters.Add(PostgresDatabase.Jsonb(body));
            batch.BatchCommands.Add(update);
            AddDeleteUniques(batch, kind, value.Key);
            AddUniques(batch, kind, value.Key, uniques);
            AddNotify(batch, kind, value.Key, current.NextRevision);
            await Execute(batch, kind, value.Key, uniques, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return value;
        }
        catch
        {
            ObjectDocuments.Restore(value, previous);
            throw;
        }
    }

    public async Task<StoredObject> DeleteAsync(ObjectKind kind, string key, long? expectedRevision, CancellationToken cancellationToken = default)
    {
        var now = StoreTime.Truncate(time.GetUtcNow());
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var current = await LockCurrent(connection, kind, key, expectedRevision, cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction);
        var delete = new NpgsqlBatchCommand("DELETE FROM objects WHERE kind = $1 AND key = $2");
        delete.Parameters.Add(new NpgsqlParameter { Value = kind.Name });
        delete.Parameters.Add(new NpgsqlParameter { Value = key });
        batch.BatchCommands.Add(delete);
        AddDeleteUniques(batch, kind, key);
        AddNotify(batch, kind, key, current.NextRevision);
        await batch.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        // The deletion is a write too: it gets a revision of its own, so watchers can order it after the last update.
        return ObjectDocuments.Read(kind, current.Body, current.NextRevision, current.CreatedAt, now);
    }

    private static async Task<long> NextRevision(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT nextval('revision')", connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Locks the object's row for the transaction and checks the caller's expected revision.</summary>
    private static async Task<(DateTimeOffset CreatedAt, string Body, long NextRevision)> LockCurrent(
        NpgsqlConnection connection, ObjectKind kind, string key, long? expectedRevision, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT revision, created_at, body::text, nextval('revision') FROM objects WHERE kind = $1 AND key = $2 FOR UPDATE", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = kind.Name });
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new StoreNotFoundException($"{kind.Name} '{key}' does not exist");
        }
        var revision = reader.GetInt64(0);
        if (expectedRevision is { } expected && expected != revision)
        {
            throw new StorePreconditionFailedException($"{kind.Name} '{key}' is at revision {revision}, not {expected}");
        }
        return (reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2), reader.GetInt64(3));
    }

    private static void AddUniques(NpgsqlBatch batch, ObjectKind kind, string key, IReadOnlyList<UniqueValue> uniques)
    {
        foreach (var unique in uniques)
        {
            var insert = new NpgsqlBatchCommand("INSERT INTO object_unique (kind, field, value, key) VALUES ($1, $2, $3, $4)");
            insert.Parameters.Add(new NpgsqlParameter { Value = kind.Name });
            insert.Parameters.Add(new NpgsqlParameter { Value = unique.Field });
            insert.Parameters.Add(new NpgsqlParameter { Value = unique.Value });
            insert.Parameters.Add(new NpgsqlParameter { Value = key });
            batch.BatchCommands.Add(insert);
        }
    }

    private static void AddDeleteUniques(NpgsqlBatch batch, ObjectKind kind, string key)
    {
        var delete = new NpgsqlBatchCommand("DELETE FROM object_unique WHERE kind = $1 AND key = $2");
        delete.Parameters.Add(new NpgsqlParameter { Value = kind.Name });
        delete.Parameters.Add(new NpgsqlParameter { Value = key });
        batch.BatchCommands.Add(delete);
    }

    /// <summary>Tells other nodes' caches, at commit, which object changed.</summary>
    private static void AddNotify(NpgsqlBatch batch, ObjectKind kind, string key, long revision)
    {
        var notify = new NpgsqlBatchCommand($"SELECT pg_notify('{PostgresDatabase.ChangesChannel}', $1)");
        notify.Parameters.Add(new NpgsqlParameter { Value = $"{kind.Name}:{key}:{revision}" });
        batch.BatchCommands.Add(notify);
    }

    /// <summary>Runs the write; a unique violation names the field of the statement that failed.</summary>
    private static async Task Execute(NpgsqlBatch batch, ObjectKind kind, string key, IReadOnlyList<UniqueValue> uniques, CancellationToken cancellationToken)
    {
        try
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (PostgresDatabase.IsUniqueViolation(e))
        {
            if (e.ConstraintName == "objects_pkey")
            {
                throw ObjectDocuments.KeyTaken(kind, key, e);
            }
            var failed = e.BatchCommand is { } command ? batch.BatchCommands.IndexOf(command) : -1;
            var uniqueIndex = failed - (batch.BatchCommands.Count - uniques.Count - 1);
            if (uniqueIndex >= 0 && uniqueIndex < uniques.Count)
            {
                throw ObjectDocuments.ValueTaken(kind, uniques[uniqueIndex], e);
            }
            throw new StoreConflictException($"{kind.Name} '{key}': {e.MessageText}", e);
        }
    }

    private static StoredObject Read(ObjectKind kind, NpgsqlDataReader reader) =>
        ObjectDocuments.Read(kind, reader.GetString(3), reader.GetInt64(0),
            reader.GetFieldValue<DateTimeOffset>(1), reader.GetFieldValue<DateTimeOffset>(2));
}
