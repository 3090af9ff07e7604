using Microsoft.Data.Sqlite;
using RebarProvision.Model;

namespace RebarProvision.Store.Sqlite;

internal sealed class SqliteLeaseStore(SqliteDatabase database, TimeProvider time) : ILeaseStore
{
    private const string Columns = "addr, subnet, token, state, expires_at, node, revision, created_at, updated_at";
    private const string Active = "state IN ('offered', 'bound')";

    public Task<Lease?> GetAsync(string addr, CancellationToken cancellationToken = default) =>
        QueryOneAsync($"SELECT {Columns} FROM leases WHERE addr = $addr", c => c.Parameters.AddWithValue("$addr", LeaseRows.Address(addr).Addr), cancellationToken);

    public Task<Lease?> FindByTokenAsync(string token, CancellationToken cancellationToken = default) =>
        QueryOneAsync(
            $"SELECT {Columns} FROM leases WHERE token = $token ORDER BY {Active} DESC, updated_at DESC, revision DESC LIMIT 1",
            c => c.Parameters.AddWithValue("$token", token), cancellationToken);

    public Task<IReadOnlyList<Lease>> ListAsync(string? subnet = null, CancellationToken cancellationToken = default) =>
        database.ReadAsync<IReadOnlyList<Lease>>(connection =>
        {
            var command = connection.Statement($"SELECT {Columns} FROM leases WHERE $subnet IS NULL OR subnet = $subnet ORDER BY subnet, addr_int");
            command.Parameters.AddWithValue("$subnet", (object?)subnet ?? DBNull.Value);
            using var reader = command.ExecuteReader();
            var list = new List<Lease>();
            while (reader.Read())
            {
                list.Add(Read(reader));
            }
            return list;
        }, cancellationToken);

    public Task<Lease?> TryClaimAsync(Lease lease, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var (addr, addrInt) = LeaseRows.Address(lease.Addr);
        var stamp = StoreTime.ToMicroseconds(time.GetUtcNow());
        var nowMicros = StoreTime.ToMicroseconds(now);
        return database.WriteAsync(db =>
        {
            var holder = db.Statement("SELECT token, state, expires_at FROM leases WHERE addr = $addr");
            holder.Parameters.AddWithValue("$addr", addr);
            using (var reader = holder.ExecuteReader())
            {
                if (reader.Read() && reader.GetString(0) != lease.Token && IsActive(reader.GetString(1), reader.GetInt64(2), nowMicros))
                {
                    return null;
                }
            }
            var revision = db.NextRevisions(2);
            var end = db.Statement(
                $"UPDATE leases SET state = 'expired', expires_at = min(expires_at, $now), revision = $revision, updated_at = $stamp WHERE token = $token AND {Active} AND addr <> $addr");
            end.Parameters.AddWithValue("$now", nowMicros);
            end.Parameters.AddWithValue("$revision", revision);
            end.Parameters.AddWithValue("$stamp", stamp);
            end.Parameters.AddWithValue("$token", lease.Token);
            end.Parameters.AddWithValue("$addr", addr);
            end.ExecuteNonQuery();

            var claim = db.Statement(
                $"""
                INSERT INTO leases (addr, addr_int, subnet, token, state, expires_at, node, revision, created_at, updated_at)
                VALUES ($addr, $addrInt, $subnet, $token, $state, $expiresAt, $node, $revision, $stamp, $stamp)
                ON CONFLICT (addr) DO UPDATE SET
                    addr_int = excluded.addr_int, subnet = excluded.subnet, token = excluded.token, state = excluded.state,
                    expires_at = excluded.expires_at, node = excluded.node, revision = excluded.revision,
                    created_at = CASE WHEN leases.token = excluded.token THEN leases.created_at ELSE excluded.created_at END,
                    updated_at = excluded.updated_at
                RETURNING {Columns}
                """);
            claim.Parameters.AddWithValue("$addr", addr);
            claim.Parameters.AddWithValue("$addrInt", (long)addrInt);
            claim.Parameters.AddWithValue("$subnet", lease.Subnet);
            claim.Parameters.AddWithValue("$token", lease.Token);
            claim.Parameters.AddWithValue("$state", LeaseRows.StateText(lease.State));
            claim.Parameters.AddWithValue("$expiresAt", StoreTime.ToMicroseconds(lease.ExpiresAt));
            claim.Parameters.AddWithValue("$node", lease.Node);
            claim.Parameters.AddWithValue("$revision", revision + 1);
            claim.Parameters.AddWithValue("$stamp", stamp);
            return ExecuteOne(claim, lease);
        }, cancellationToken);
    }

    public Task<Lease?> TryUpdateAsync(Lease lease, CancellationToken cancellationToken = default)
    {
        var addr = LeaseRows.Address(lease.Addr).Addr;
        var stamp = StoreTime.ToMicroseconds(time.GetUtcNow());
        return database.WriteAsync(db =>
        {
            var update = db.Statement(
                $"""
                UPDATE leases SET state = $state, expires_at = $expiresAt, node = $node,
                    revision = (SELECT value + 1 FROM revision), updated_at = $stamp
                WHERE addr = $addr AND token = $token
                RETURNING {Columns}
                """);
            update.Parameters.AddWithValue("$state", LeaseRows.StateText(lease.State));
            update.Parameters.AddWithValue("$expiresAt", StoreTime.ToMicroseconds(lease.ExpiresAt));
            update.Parameters.AddWithValue("$node", lease.Node);
            update.Parameters.AddWithValue("$stamp", stamp);
            update.Parameters.AddWithValue("$addr", addr);
            update.Parameters.AddWithValue("$token", lease.Token);
            var updated = ExecuteOne(update, lease);
            if (updated is not null)
            {
                db.NextRevisions();
            }
            return updated;
        }, cancellationToken);
    }

    public Task<IReadOnlyList<uint>> FindUnusedAddressesAsync(string subnet, uint first, uint last, int max, CancellationToken cancellationToken = default) =>
        LeaseRows.FindUnusedAsync(first, last, max, (from, to) => database.ReadAsync<IReadOnlyList<long>>(connection =>
        {
            var command = connection.Statement("SELECT addr_int FROM leases WHERE subnet = $subnet AND addr_int BETWEEN $from AND $to ORDER BY addr_int");
            command.Parameters.AddWithValue("$subnet", subnet);
            command.Parameters.AddWithValue("$from", (long)from);
            command.Parameters.AddWithValue("$to", (long)to);
            using var reader = command.ExecuteReader();
            var used = new List<long>();
            while (reader.Read())
            {
                used.Add(reader.GetInt64(0));
            }
            return used;
        }, cancellationToken));

    public Task<Lease?> FindMostExpiredAsync(string subnet, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        QueryOneAsync(
            $"""
            SELECT {Columns} FROM leases
            WHERE subnet = $subnet AND (state IN ('expired', 'released') OR expires_at <= $now)
            ORDER BY expires_at, addr_int LIMIT 1
            """,
            c =>
            {
                c.Parameters.AddWithValue("$subnet", subnet);
                c.Parameters.AddWithValue("$now", StoreTime.ToMicroseconds(now));
            }, cancellationToken);

    public Task<int> ExpireAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var stamp = StoreTime.ToMicroseconds(time.GetUtcNow());
        return database.WriteAsync(db =>
        {
            // One sweep, one revision: the rows it ends change together.
            var expire = db.Statement(
                $"UPDATE leases SET state = 'expired', revision = (SELECT value + 1 FROM revision), updated_at = $stamp WHERE {Active} AND expires_at <= $now");
            expire.Parameters.AddWithValue("$stamp", stamp);
            expire.Parameters.AddWithValue("$now", StoreTime.ToMicroseconds(now));
            var changed = expire.ExecuteNonQuery();
            if (changed > 0)
            {
                db.NextRevisions();
            }
            return changed;
        }, cancellationToken);
    }

    public Task<bool> DeleteAsync(string addr, CancellationToken cancellationToken = default)
    {
        var canonical = LeaseRows.Address(addr).Addr;
        return database.WriteAsync(db =>
        {
            var delete = db.Statement("DELETE FROM leases WHERE addr = $addr");
            delete.Parameters.AddWithValue("$addr", canonical);
            return delete.ExecuteNonQuery() > 0;
        }, cancellationToken);
    }

    private static bool IsActive(string state, long expiresAt, long now) =>
        state is LeaseRows.Offered or LeaseRows.Bound && expiresAt > now;

    private static Lease? ExecuteOne(SqliteCommand command, Lease lease)
    {
        try
        {
            using var reader = command.ExecuteReader();
            return reader.Read() ? Read(reader) : null;
        }
        catch (SqliteException e) when (SqliteDatabase.IsConstraintViolation(e))
        {
            throw new StoreConflictException($"lease {lease.Addr}: token '{lease.Token}' already holds another active lease", "token", lease.Token, e);
        }
    }

    private Task<Lease?> QueryOneAsync(string sql, Action<SqliteCommand> bind, CancellationToken cancellationToken) =>
        database.ReadAsync(connection =>
        {
            var command = connection.Statement(sql);
            bind(command);
            using var reader = command.ExecuteReader();
            return reader.Read() ? Read(reader) : null;
        }, cancellationToken);

    private static Lease Read(SqliteDataReader reader) => new()
    {
        Addr = reader.GetString(0),
        Subnet = reader.GetString(1),
        Token = reader.GetString(2),
        State = LeaseRows.ParseState(reader.GetString(3)),
        ExpiresAt = StoreTime.FromMicroseconds(reader.GetInt64(4)),
        Node = reader.GetString(5),
        Revision = reader.GetInt64(6),
        CreatedAt = StoreTime.FromMicroseconds(reader.GetInt64(7)),
        UpdatedAt = StoreTime.FromMicroseconds(reader.GetInt64(8)),
    };
}
