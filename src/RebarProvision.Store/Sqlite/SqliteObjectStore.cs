using Microsoft.Data.Sqlite;
using RebarProvision.Model;

namespace RebarProvision.Store.Sqlite;

internal sealed class SqliteObjectStore(SqliteDatabase database, TimeProvider time) : IObjectStore
{
    private const string Columns = "revision, created_at, updated_at, body";

    public Task<StoredObject?> GetAsync(ObjectKind kind, string key, CancellationToken cancellationToken = default) =>
        database.ReadAsync(connection =>
        {
            var command = connection.Statement($"SELECT {Columns} FROM objects WHERE kind = $kind AND key = $key");
            command.Parameters.AddWithValue("$kind", kind.Name);
            command.Parameters.AddWithValue("$key", key);
            using var reader = command.ExecuteReader();
            return reader.Read() ? Read(kind, reader) : null;
        }, cancellationToken);

    public Task<IReadOnlyList<StoredObject>> ListAsync(ObjectKind kind, CancellationToken cancellationToken = default) =>
        database.ReadAsync<IReadOnlyList<StoredObject>>(connection =>
        {
            var command = connection.Statement($"SELECT {Columns} FROM objects WHERE kind = $kind ORDER BY key");
            command.Parameters.AddWithValue("$kind", kind.Name);
            using var reader = command.ExecuteReader();
            var list = new List<StoredObject>();
            while (reader.Read())
            {
                list.Add(Read(kind, reader));
            }
            return list;
        }, cancellationToken);

    public Task<long> CountAsync(ObjectKind kind, CancellationToken cancellationToken = default) =>
        database.ReadAsync(connection =>
        {
            var command = connection.Statement("SELECT count(*) FROM objects WHERE kind = $kind");
            command.Parameters.AddWithValue("$kind", kind.Name);
            return (long)command.ExecuteScalar()!;
        }, cancellationToken);

    public Task<string?> FindKeyAsync(ObjectKind kind, string field, string value, CancellationToken cancellationToken = default) =>
        database.ReadAsync(connection =>
        {
            var command = connection.Statement("SELECT key FROM object_unique WHERE kind = $kind AND field = $field AND value = $value");
            command.Parameters.AddWithValue("$kind", kind.Name);
            command.Parameters.AddWithValue("$field", field);
            command.Parameters.AddWithValue("$value", value);
            return command.ExecuteScalar() as string;
        }, cancellationToken);

    public async Task<StoredObject> CreateAsync(StoredObject value, CancellationToken cancellationToken = default)
    {
        var kind = ObjectDocuments.KindOf(value);
        var uniques = ObjectDocuments.UniqueValues(value);
        var now = StoreTime.Truncate(time.GetUtcNow());
        Stamp? previous = null;
        try
        {
            return await database.WriteAsync(db =>
            {
                var revision = db.NextRevisions();
                (var body, previous) = ObjectDocuments.Stamp(value, revision, now, now);
                var insert = db.Statement(
                    "INSERT INTO objects (kind, key, revision, created_at, updated_at, body) VALUES ($kind, $key, $revision, $now, $now, $body)");
                insert.Parameters.AddWithValue("$kind", kind.Name);
                insert.Parameters.AddWithValue("$key", value.Key);
                insert.Parameters.AddWithValue("$revision", revision);
                insert.Parameters.AddWithValue("$now", StoreTime.ToMicroseconds(now));
                insert.Parameters.AddWithValue("$body", body);
                try
                {
                    insert.ExecuteNonQuery();
                }
                catch (SqliteException e) when (SqliteDatabase.IsConstraintViolation(e))
                {
                    throw ObjectDocuments.KeyTaken(kind, value.Key, e);
                }
                InsertUniques(db, kind, value.Key, uniques);
                return value;
            }, cancellationToken);
        }
        catch when (previous is { } stamp)
        {
            ObjectDocuments.Restore(value, stamp);
            throw;
        }
    }

    public async Task<StoredObject> UpdateAsync(StoredObject value, long? expectedRevision, CancellationToken cancellationToken = default)
    {
        var kind = ObjectDocuments.KindOf(value);
        var uniques = ObjectDocuments.UniqueValues(value);
        var now = StoreTime.Truncate(time.GetUtcNow());
        Stamp? previous = null;
        try
        {
            return await database.WriteAsync(db =>
            {
                var (_, createdAt, _) = Current(db, kind, value.Key, expectedRevision);
                var revision = db.NextRevisions();
                (var body, previous) = ObjectDocuments.Stamp(value, revision, createdAt, now);
                var update = db.Statement(
                    "UPDATE objects SET revision = $revision, updated_at = $now, body = $body WHERE kind = $kind AND key = $key");
                update.Parameters.AddWithValue("$kind", kind.Name);
                update.Parameters.AddWithValue("$key", value.Key);
                update.Parameters.AddWithValue("$revision", revision);
                update.Parameters.AddWithValue("$now", StoreTime.ToMicroseconds(now));
                update.Parameters.AddWithValue("$body", body);
                update.ExecuteNonQuery();
                DeleteUniques(db, kind, value.Key);
                InsertUniques(db, kind, value.Key, uniques);
                return value;
            }, cancellationToken);
        }
        catch when (previous is { } stamp)
        {
            ObjectDocuments.Restore(value, stamp);
            throw;
        }
    }

    public Task<StoredObject> DeleteAsync(ObjectKind kind, string key, long? expectedRevision, CancellationToken cancellationToken = default)
    {
        var now = StoreTime.Truncate(time.GetUtcNow());
        return database.WriteAsync(db =>
        {
            var (_, createdAt, body) = Current(db, kind, key, expectedRevision);
            var revision = db.NextRevisions();
            var delete = db.Statement("DELETE FROM objects WHERE kind = $kind AND key = $key");
            delete.Parameters.AddWithValue("$kind", kind.Name);
            delete.Parameters.AddWithValue("$key", key);
            delete.ExecuteNonQuery();
            DeleteUniques(db, kind, key);
            // The deletion is a write too: it gets a revision of its own, so watchers can order it after the last update.
            return ObjectDocuments.Read(kind, body, revision, createdAt, now);
        }, cancellationToken);
    }

    private static (long Revision, DateTimeOffset CreatedAt, string Body) Current(SqliteDatabase db, ObjectKind kind, string key, long? expectedRevision)
    {
        var select = db.Statement("SELECT revision, created_at, body FROM objects WHERE kind = $kind AND key = $key");
        select.Parameters.AddWithValue("$kind", kind.Name);
        select.Parameters.AddWithValue("$key", key);
        using var reader = select.ExecuteReader();
        if (!reader.Read())
        {
            throw new StoreNotFoundException($"{kind.Name} '{key}' does not exist");
        }
        var revision = reader.GetInt64(0);
        if (expectedRevision is { } expected && expected != revision)
        {
            throw new StorePreconditionFailedException($"{kind.Name} '{key}' is at revision {revision}, not {expected}");
        }
        return (revision, StoreTime.FromMicroseconds(reader.GetInt64(1)), reader.GetString(2));
    }

    private static void InsertUniques(SqliteDatabase db, ObjectKind kind, string key, IReadOnlyList<UniqueValue> uniques)
    {
        foreach (var unique in uniques)
        {
            var insert = db.Statement("INSERT INTO object_unique (kind, field, value, key) VALUES ($kind, $field, $value, $key)");
            insert.Parameters.AddWithValue("$kind", kind.Name);
            insert.Parameters.AddWithValue("$field", unique.Field);
            insert.Parameters.AddWithValue("$value", unique.Value);
            insert.Parameters.AddWithValue("$key", key);
            try
            {
                insert.ExecuteNonQuery();
            }
            catch (SqliteException e) when (SqliteDatabase.IsConstraintViolation(e))
            {
                throw ObjectDocuments.ValueTaken(kind, unique, e);
            }
        }
    }

    private static void DeleteUniques(SqliteDatabase db, ObjectKind kind, string key)
    {
        var delete = db.Statement("DELETE FROM object_unique WHERE kind = $kind AND key = $key");
        delete.Parameters.AddWithValue("$kind", kind.Name);
        delete.Parameters.AddWithValue("$key", key);
        delete.ExecuteNonQuery();
    }

    private static StoredObject Read(ObjectKind kind, SqliteDataReader reader) =>
        ObjectDocuments.Read(kind, reader.GetString(3), reader.GetInt64(0),
            StoreTime.FromMicroseconds(reader.GetInt64(1)), StoreTime.FromMicroseconds(reader.GetInt64(2)));
}
