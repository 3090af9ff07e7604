using Microsoft.Data.Sqlite;
using RebarProvision.Model;

namespace RebarProvision.Store.Sqlite;

/// <summary>
/// Leases in the SQLite file. Writes go to the file (one transaction each, group-committed); the point reads a DHCP
/// exchange makes (by address, by token) are answered from <see cref="SqliteLeaseCache"/>, which every write updates
/// after its commit.
/// </summary>
internal sealed class SqliteLeaseStore(SqliteDatabase database, TimeProvider time) : ILeaseStore
{
    private readonly SqliteLeaseCache _cache = new();

    /// <summary>Fills the cache from the table (after migrations; again is harmless). Runs under the write lock, so no write slips between.</summary>
    public Task LoadCacheAsync(CancellationToken cancellationToken = default) =>
        database.WriteAsync(db =>
        {
            var command = db.Statement($"SELECT {LeaseRows.Columns} FROM leases");
            using var reader = command.ExecuteReader();
            var rows = new List<Lease>();
            while (reader.Read())
            {
                rows.Add(Read(reader));
            }
            // After the commit, like every other change to the cache: a batch that fails later must not leave it filled.
            AfterCommit(db, cache => cache.Load(rows));
            return true;
        }, cancellationToken);

    public ValueTask<Lease?> GetAsync(string addr, CancellationToken cancellationToken = default)
    {
        var address = LeaseRows.AddressValue(addr);
        return _cache.Loaded ? new(_cache.Get(address)) : LoadThenAsync(static (cache, address) => cache.Get(address), address, cancellationToken);
    }

    public ValueTask<Lease?> FindByTokenAsync(string token, CancellationToken cancellationToken = default) =>
        _cache.Loaded ? new(_cache.FindByToken(token)) : LoadThenAsync(static (cache, token) => cache.FindByToken(token), token, cancellationToken);

    public ValueTask<IReadOnlyList<uint>> FindUnusedAddressesAsync(string subnet, uint first, uint last, int max, CancellationToken cancellationToken = default) =>
        _cache.Loaded
            ? new(_cache.FindUnused(subnet, first, last, max))
            : LoadThenAsync(static (cache, q) => cache.FindUnused(q.subnet, q.first, q.last, q.max), (subnet, first, last, max), cancellationToken);

    /// <summary>Answers from the cache after loading it (a store used before MigrateAsync, or one whose cache was dropped).</summary>
    private async ValueTask<T> LoadThenAsync<T, TQuery>(Func<SqliteLeaseCache, TQuery, T> answer, TQuery query, CancellationToken cancellationToken)
    {
        await LoadCacheAsync(cancellationToken);
        return answer(_cache, query);
    }

    public Task<IReadOnlyList<Lease>> ListAsync(string? subnet = null, CancellationToken cancellationToken = default) =>
        database.ReadAsync<IReadOnlyList<Lease>>(connection =>
        {
            var command = connection.Statement($"SELECT {LeaseRows.Columns} FROM leases WHERE $subnet IS NULL OR subnet = $subnet ORDER BY subnet, addr_int");
            command.Parameters.AddWithValue("$subnet", (object?)subnet ?? DBNull.Value);
            using var reader = command.ExecuteReader();
            var list = new List<Lease>();
            while (reader.Read())
            {
                list.Add(Read(reader));
            }
            return list;
        }, cancellationToken);

    /// <summary>
    /// Claims the address in statements SQLite answers from its indexes alone: the holder by primary key, the token's
    /// other active lease through the partial index, and a plain upsert, all <see cref="NativeStatement"/>s. No
    /// RETURNING (SQLite builds a temporary table for it): the row written is the one this method computes.
    /// </summary>
    public Task<Lease?> TryClaimAsync(Lease lease, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var (addr, addrInt) = LeaseRows.Address(lease.Addr);
        var stamp = StoreTime.Truncate(time.GetUtcNow());
        var nowMicros = StoreTime.ToMicroseconds(now);
        return database.WriteAsync(db =>
        {
            var createdAt = stamp;
            var holder = db.Native("SELECT token, state, expires_at, created_at FROM leases WHERE addr = ?1").Bind(1, addr);
            try
            {
                if (holder.Step())
                {
                    var sameToken = holder.TextEquals(0, lease.Token);
                    if (!sameToken && IsActive(holder.Text(1), holder.Int64(2), nowMicros))
                    {
                        return null;
                    }
                    createdAt = sameToken ? StoreTime.FromMicroseconds(holder.Int64(3)) : stamp;
                }
            }
            finally
            {
                holder.Reset();
            }
            // Two revisions, as PostgreSQL gives them: the ended lease's, then the claim's.
            var revision = db.NextRevisions(2);
            EndOtherActiveLease(db, lease.Token, addr, now, revision, stamp);
            revision++;

            var claimed = lease with
            {
                Addr = addr,
                ExpiresAt = StoreTime.Truncate(lease.ExpiresAt),
                Revision = revision,
                CreatedAt = createdAt,
                UpdatedAt = stamp,
            };
            var claim = db.Native(
                """
                INSERT INTO leases (addr, addr_int, subnet, token, state, expires_at, node, revision, created_at, updated_at)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                ON CONFLICT (addr) DO UPDATE SET
                    addr_int = excluded.addr_int, subnet = excluded.subnet, token = excluded.token, state = excluded.state,
                    expires_at = excluded.expires_at, node = excluded.node, revision = excluded.revision,
                    created_at = excluded.created_at, updated_at = excluded.updated_at
                """)
                .Bind(1, addr)
                .Bind(2, addrInt)
                .Bind(3, claimed.Subnet)
                .Bind(4, claimed.Token)
                .Bind(5, LeaseRows.StateText(claimed.State))
                .Bind(6, StoreTime.ToMicroseconds(claimed.ExpiresAt))
                .Bind(7, claimed.Node)
                .Bind(8, revision)
                .Bind(9, StoreTime.ToMicroseconds(createdAt))
                .Bind(10, StoreTime.ToMicroseconds(stamp));
            try
            {
                claim.Execute();
            }
            catch (SqliteException e) when (SqliteDatabase.IsConstraintViolation(e))
            {
                throw TokenTaken(lease, e);
            }
            AfterCommit(db, cache => cache.Put(claimed));
            return claimed;
        }, cancellationToken);
    }

    /// <summary>A token holds one active lease: claiming a new address ends the one it held, now.</summary>
    private void EndOtherActiveLease(SqliteDatabase db, string token, string addr, DateTimeOffset now, long revision, DateTimeOffset stamp)
    {
        var other = db.Native($"SELECT addr FROM leases WHERE token = ?1 AND {LeaseRows.Active} AND addr <> ?2").Bind(1, token).Bind(2, addr);
        string otherAddr;
        try
        {
            if (!other.Step())
            {
                return;
            }
            otherAddr = other.Text(0);
        }
        finally
        {
            other.Reset();
        }
        // Rare (a client that moved): the ordinary command path is fine here.
        var end = db.Statement($"UPDATE leases SET state = 'expired', expires_at = min(expires_at, $now), revision = $revision, updated_at = $stamp WHERE addr = $addr RETURNING {LeaseRows.Columns}");
        end.Parameters.AddWithValue("$now", StoreTime.ToMicroseconds(now));
        end.Parameters.AddWithValue("$revision", revision);
        end.Parameters.AddWithValue("$stamp", StoreTime.ToMicroseconds(stamp));
        end.Parameters.AddWithValue("$addr", otherAddr);
        using var reader = end.ExecuteReader();
        reader.Read();
        var ended = Read(reader);
        AfterCommit(db, cache => cache.Put(ended));
    }

    public Task<Lease?> TryUpdateAsync(Lease lease, CancellationToken cancellationToken = default)
    {
        var addr = LeaseRows.Address(lease.Addr).Addr;
        var stamp = StoreTime.ToMicroseconds(time.GetUtcNow());
        return database.WriteAsync(db =>
        {
            var update = db.Statement(
                $"""
                UPDATE leases SET state = $state, expires_at = $expiresAt, node = $node, revision = $revision, updated_at = $stamp
                WHERE addr = $addr AND token = $token
                RETURNING {LeaseRows.Columns}
                """);
            update.Parameters.AddWithValue("$revision", db.NextRevisions());
            update.Parameters.AddWithValue("$state", LeaseRows.StateText(lease.State));
            update.Parameters.AddWithValue("$expiresAt", StoreTime.ToMicroseconds(lease.ExpiresAt));
            update.Parameters.AddWithValue("$node", lease.Node);
            update.Parameters.AddWithValue("$stamp", stamp);
            update.Parameters.AddWithValue("$addr", addr);
            update.Parameters.AddWithValue("$token", lease.Token);
            var updated = ExecuteOne(update, lease);
            if (updated is not null)
            {
                AfterCommit(db, cache => cache.Put(updated));
            }
            return updated;
        }, cancellationToken);
    }

    public Task<Lease?> FindMostExpiredAsync(string subnet, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        database.ReadAsync(connection =>
        {
            var command = connection.Statement(LeaseRows.FindMostExpiredSql);
            command.Parameters.AddWithValue("$1", subnet);
            command.Parameters.AddWithValue("$2", StoreTime.ToMicroseconds(now));
            using var reader = command.ExecuteReader();
            return reader.Read() ? Read(reader) : null;
        }, cancellationToken);

    public Task<int> ExpireAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var stamp = StoreTime.ToMicroseconds(time.GetUtcNow());
        return database.WriteAsync(db =>
        {
            // One sweep, one revision: the rows it ends change together.
            var expire = db.Statement(
                $"UPDATE leases SET state = 'expired', revision = $revision, updated_at = $stamp WHERE {LeaseRows.Active} AND expires_at <= $now RETURNING {LeaseRows.Columns}");
            expire.Parameters.AddWithValue("$revision", db.NextRevisions());
            expire.Parameters.AddWithValue("$stamp", stamp);
            expire.Parameters.AddWithValue("$now", StoreTime.ToMicroseconds(now));
            var expired = new List<Lease>();
            using (var reader = expire.ExecuteReader())
            {
                while (reader.Read())
                {
                    expired.Add(Read(reader));
                }
            }
            AfterCommit(db, cache => expired.ForEach(cache.Put));
            return expired.Count;
        }, cancellationToken);
    }

    public Task<bool> DeleteAsync(string addr, CancellationToken cancellationToken = default)
    {
        var (canonical, address) = LeaseRows.Address(addr);
        return database.WriteAsync(db =>
        {
            var delete = db.Statement(LeaseRows.DeleteSql);
            delete.Parameters.AddWithValue("$1", canonical);
            AfterCommit(db, cache => cache.Remove(address));
            return delete.ExecuteNonQuery() > 0;
        }, cancellationToken);
    }

    /// <summary>
    /// Changes the cache after the write's commit. Should a change fail anyway, the cache is dropped and read again
    /// from the table on the next look-up: it never answers from a state the file does not have.
    /// </summary>
    private void AfterCommit(SqliteDatabase db, Action<SqliteLeaseCache> change) =>
        db.OnCommit(() =>
        {
            try
            {
                change(_cache);
            }
            catch
            {
                _cache.Invalidate();
                throw;
            }
        });

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
            throw TokenTaken(lease, e);
        }
    }

    private static StoreConflictException TokenTaken(Lease lease, SqliteException e) =>
        new($"lease {lease.Addr}: token '{lease.Token}' already holds another active lease", "token", lease.Token, e);

    private static Lease Read(SqliteDataReader reader) => LeaseRows.Read(reader, microseconds: true);
}
