using Npgsql;
using RebarProvision.Model;

namespace RebarProvision.Store.Postgres;

internal sealed class PostgresLeaseStore(PostgresDatabase database, TimeProvider time) : ILeaseStore
{
    private const string Columns = "addr, subnet, token, state, expires_at, node, revision, created_at, updated_at";
    private const string Active = "state IN ('offered', 'bound')";

    /// <summary>
    /// The claim, in one statement so one round trip and no window between check and write: the upsert takes the
    /// address only if its row is free, inactive or already the token's (ON CONFLICT ... WHERE re-checks the latest
    /// row version under its lock), and only when it did are the token's other active leases ended. The
    /// active-per-token exclusion constraint is checked at the end of the statement, so the order in which
    /// PostgreSQL runs the two parts does not matter; a concurrent claim by the same token elsewhere fails it.
    /// </summary>
    private const string ClaimSql =
        $"""
        WITH claimed AS (
            INSERT INTO leases AS l (addr, addr_int, subnet, token, state, expires_at, node, revision, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, nextval('revision'), $8, $8)
            ON CONFLICT (addr) DO UPDATE SET
                addr_int = EXCLUDED.addr_int, subnet = EXCLUDED.subnet, token = EXCLUDED.token, state = EXCLUDED.state,
                expires_at = EXCLUDED.expires_at, node = EXCLUDED.node, revision = EXCLUDED.revision,
                created_at = CASE WHEN l.token = EXCLUDED.token THEN l.created_at ELSE EXCLUDED.created_at END,
                updated_at = EXCLUDED.updated_at
            WHERE l.token = EXCLUDED.token OR l.state NOT IN ('offered', 'bound') OR l.expires_at <= $9
            RETURNING {Columns}
        ), ended AS (
            UPDATE leases SET state = 'expired', expires_at = LEAST(expires_at, $9), revision = nextval('revision'), updated_at = $8
            WHERE token = $4 AND {Active} AND addr <> $1 AND EXISTS (SELECT 1 FROM claimed)
        )
        SELECT {Columns} FROM claimed
        """;

    public Task<Lease?> GetAsync(string addr, CancellationToken cancellationToken = default) =>
        QueryOneAsync($"SELECT {Columns} FROM leases WHERE addr = $1", cancellationToken, LeaseRows.Address(addr).Addr);

    public Task<Lease?> FindByTokenAsync(string token, CancellationToken cancellationToken = default) =>
        QueryOneAsync(
            $"SELECT {Columns} FROM leases WHERE token = $1 ORDER BY {Active} DESC, updated_at DESC, revision DESC LIMIT 1",
            cancellationToken, token);

    public async Task<IReadOnlyList<Lease>> ListAsync(string? subnet = null, CancellationToken cancellationToken = default)
    {
        await using var command = database.Command(
            $"SELECT {Columns} FROM leases WHERE $1::text IS NULL OR subnet = $1 ORDER BY subnet COLLATE \"C\", addr_int");
        command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = subnet, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<Lease>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(Read(reader));
        }
        return list;
    }

    public async Task<Lease?> TryClaimAsync(Lease lease, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var (addr, addrInt) = LeaseRows.Address(lease.Addr);
        await using var command = database.Command(ClaimSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = addr });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = addrInt });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = lease.Subnet });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = lease.Token });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = LeaseRows.StateText(lease.State) });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = StoreTime.Truncate(lease.ExpiresAt) });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = lease.Node });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = StoreTime.Truncate(time.GetUtcNow()) });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = StoreTime.Truncate(now) });
        return await ExecuteOne(command, lease, cancellationToken);
    }

    public async Task<Lease?> TryUpdateAsync(Lease lease, CancellationToken cancellationToken = default)
    {
        await using var command = database.Command(
            $"""
            UPDATE leases SET state = $3, expires_at = $4, node = $5, revision = nextval('revision'), updated_at = $6
            WHERE addr = $1 AND token = $2
            RETURNING {Columns}
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = LeaseRows.Address(lease.Addr).Addr });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = lease.Token });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = LeaseRows.StateText(lease.State) });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = StoreTime.Truncate(lease.ExpiresAt) });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = lease.Node });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = StoreTime.Truncate(time.GetUtcNow()) });
        return await ExecuteOne(command, lease, cancellationToken);
    }

    public async Task<uint?> FindUnusedAddressAsync(string subnet, uint first, uint last, CancellationToken cancellationToken = default)
    {
        if (last < first)
        {
            return null;
        }
        // The first address, or else the address after the lowest row in range whose successor has no row: one walk
        // along the (subnet, addr_int) index that stops at the first gap.
        await using var command = database.Command(
            """
            SELECT CASE
                WHEN NOT EXISTS (SELECT 1 FROM leases WHERE subnet = $1 AND addr_int = $2) THEN $2
                ELSE (SELECT l.addr_int + 1 FROM leases l
                      WHERE l.subnet = $1 AND l.addr_int >= $2 AND l.addr_int < $3
                        AND NOT EXISTS (SELECT 1 FROM leases n WHERE n.subnet = $1 AND n.addr_int = l.addr_int + 1)
                      ORDER BY l.addr_int LIMIT 1)
            END
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subnet });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = first });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = last });
        return await command.ExecuteScalarAsync(cancellationToken) is long value ? (uint)value : null;
    }

    public Task<Lease?> FindMostExpiredAsync(string subnet, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        QueryOneAsync(
            $"""
            SELECT {Columns} FROM leases
            WHERE subnet = $1 AND (state IN ('expired', 'released') OR expires_at <= $2)
            ORDER BY expires_at, addr_int LIMIT 1
            """,
            cancellationToken, subnet, StoreTime.Truncate(now));

    public async Task<int> ExpireAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var command = database.Command(
            $"UPDATE leases SET state = 'expired', revision = nextval('revision'), updated_at = $1 WHERE {Active} AND expires_at <= $2");
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = StoreTime.Truncate(time.GetUtcNow()) });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = StoreTime.Truncate(now) });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<bool> DeleteAsync(string addr, CancellationToken cancellationToken = default)
    {
        await using var command = database.Command("DELETE FROM leases WHERE addr = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = LeaseRows.Address(addr).Addr });
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    private static async Task<Lease?> ExecuteOne(NpgsqlCommand command, Lease lease, CancellationToken cancellationToken)
    {
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
        }
        catch (PostgresException e) when (PostgresDatabase.IsUniqueViolation(e))
        {
            throw new StoreConflictException($"lease {lease.Addr}: token '{lease.Token}' already holds another active lease", "token", lease.Token, e);
        }
    }

    private async Task<Lease?> QueryOneAsync(string sql, CancellationToken cancellationToken, params object[] values)
    {
        await using var command = database.Command(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    private static Lease Read(NpgsqlDataReader reader) => new()
    {
        Addr = reader.GetString(0),
        Subnet = reader.GetString(1),
        Token = reader.GetString(2),
        State = LeaseRows.ParseState(reader.GetString(3)),
        ExpiresAt = reader.GetFieldValue<DateTimeOffset>(4),
        Node = reader.GetString(5),
        Revision = reader.GetInt64(6),
        CreatedAt = reader.GetFieldValue<DateTimeOffset>(7),
        UpdatedAt = reader.GetFieldValue<DateTimeOffset>(8),
    };
}
