using Npgsql;
using RebarProvision.Model;

namespace RebarProvision.Store.Postgres;

/// <summary>
/// Leases on PostgreSQL. Claims and token look-ups from concurrent DHCP exchanges share round trips through
/// <see cref="CallBatcher{TRequest,TResult}"/>: a batch of claims is one statement and one commit, and each claim in it
/// keeps the single claim's meaning (the constraints decide; a batch the constraints refuse is replayed claim by
/// claim, so only the claim at fault fails).
/// </summary>
internal sealed class PostgresLeaseStore : ILeaseStore, IAsyncDisposable
{
    /// <summary>Batches in flight at once: enough to keep PostgreSQL's two cores busy while replies go out.</summary>
    private const int Lanes = 4;

    private const int MaxBatch = 128;

    /// <summary>
    /// Claims (one, or a batch) in one statement, so one round trip and no window between check and write: the
    /// upsert takes each address only if its row is free, inactive or already the claiming token's (ON CONFLICT ...
    /// WHERE re-checks the latest row version under its lock), and each token whose claim took its address has its
    /// other active leases ended. The active-per-token exclusion constraint is checked at the end of the statement,
    /// so the order in which PostgreSQL runs the parts does not matter; a concurrent claim by the same token
    /// elsewhere fails it. A batch never holds one address or one token twice; the batch's own addresses are left
    /// out of the ending, since their rows are the claims'.
    /// </summary>
    private const string ClaimManySql =
        $"""
        WITH input AS (
            SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[])
                AS i(addr, addr_int, subnet, token, state, expires_at, node)
            ORDER BY addr
        ), claimed AS (
            INSERT INTO leases AS l (addr, addr_int, subnet, token, state, expires_at, node, revision, created_at, updated_at)
            SELECT addr, addr_int, subnet, token, state, expires_at, node, nextval('revision'), $8, $8 FROM input
            ON CONFLICT (addr) DO UPDATE SET
                addr_int = EXCLUDED.addr_int, subnet = EXCLUDED.subnet, token = EXCLUDED.token, state = EXCLUDED.state,
                expires_at = EXCLUDED.expires_at, node = EXCLUDED.node, revision = EXCLUDED.revision,
                created_at = CASE WHEN l.token = EXCLUDED.token THEN l.created_at ELSE EXCLUDED.created_at END,
                updated_at = EXCLUDED.updated_at
            WHERE l.token = EXCLUDED.token OR l.state NOT IN ('offered', 'bound') OR l.expires_at <= $9
            RETURNING {LeaseRows.Columns}
        ), ended AS (
            -- token = ANY keeps this an index scan whatever the planner thinks of the CTE's size.
            UPDATE leases SET state = 'expired', expires_at = LEAST(expires_at, $9), revision = nextval('revision'), updated_at = $8
            WHERE token = ANY($4) AND {LeaseRows.Active} AND addr <> ALL($1) AND token IN (SELECT token FROM claimed)
        )
        SELECT {LeaseRows.Columns} FROM claimed
        """;

    /// <summary>Each token's most recent lease, its active one first: <see cref="FindByTokenAsync"/> for many tokens.</summary>
    private const string FindByTokensSql =
        $"""
        SELECT DISTINCT ON (token) {LeaseRows.Columns} FROM leases WHERE token = ANY($1)
        ORDER BY token, {LeaseRows.Active} DESC, updated_at DESC, revision DESC
        """;

    private readonly PostgresDatabase _database;
    private readonly TimeProvider _time;
    private readonly CallBatcher<Claim, ClaimOutcome> _claims;
    private readonly CallBatcher<string, Lease?> _byToken;

    public PostgresLeaseStore(PostgresDatabase database, TimeProvider time)
    {
        _database = database;
        _time = time;
        _claims = new CallBatcher<Claim, ClaimOutcome>(ClaimBatchAsync, (batch, claim) => !batch.Any(c => c.Addr == claim.Addr || c.Lease.Token == claim.Lease.Token), Lanes, MaxBatch);
        _byToken = new CallBatcher<string, Lease?>(FindByTokensAsync, (_, _) => true, Lanes, MaxBatch);
    }

    public ValueTask<Lease?> GetAsync(string addr, CancellationToken cancellationToken = default) =>
        new(QueryOneAsync($"SELECT {LeaseRows.Columns} FROM leases WHERE addr = $1", cancellationToken, LeaseRows.Address(addr).Addr));

    public ValueTask<Lease?> FindByTokenAsync(string token, CancellationToken cancellationToken = default) =>
        new(_byToken.CallAsync(token, cancellationToken));

    public async Task<IReadOnlyList<Lease>> ListAsync(string? subnet = null, CancellationToken cancellationToken = default)
    {
        await using var command = _database.Command(
            $"SELECT {LeaseRows.Columns} FROM leases WHERE $1::text IS NULL OR subnet = $1 ORDER BY subnet COLLATE \"C\", addr_int");
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
        var outcome = await _claims.CallAsync(new Claim(lease, addr, addrInt, now), cancellationToken);
        if (outcome.Error is { } error)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        }
        return outcome.Lease;
    }

    private async Task<IReadOnlyList<ClaimOutcome>> ClaimBatchAsync(IReadOnlyList<Claim> claims, CancellationToken cancellationToken)
    {
        if (claims.Count > 1)
        {
            try
            {
                return await ClaimManyAsync(claims, cancellationToken);
            }
            catch (PostgresException e) when (PostgresDatabase.IsUniqueViolation(e) || e.SqlState is PostgresErrorCodes.DeadlockDetected)
            {
                // Another node's claim for one of these tokens (or rows locked in the other order) refused the whole
                // statement: replay claim by claim below, so only the claim at fault fails.
            }
        }
        return await ClaimEachAsync(claims, cancellationToken);
    }

    private async Task<IReadOnlyList<ClaimOutcome>> ClaimEachAsync(IReadOnlyList<Claim> claims, CancellationToken cancellationToken)
    {
        var outcomes = new ClaimOutcome[claims.Count];
        for (var i = 0; i < claims.Count; i++)
        {
            try
            {
                outcomes[i] = (await ClaimManyAsync([claims[i]], cancellationToken))[0];
            }
            catch (PostgresException e) when (PostgresDatabase.IsUniqueViolation(e))
            {
                outcomes[i] = new ClaimOutcome(null, TokenConflict(claims[i].Lease, e));
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                // This claim's own failure: the claims before it are committed and keep their results.
                outcomes[i] = new ClaimOutcome(null, e);
            }
        }
        return outcomes;
    }

    private async Task<IReadOnlyList<ClaimOutcome>> ClaimManyAsync(IReadOnlyList<Claim> claims, CancellationToken cancellationToken)
    {
        var count = claims.Count;
        var addrs = new string[count];
        var addrInts = new long[count];
        var subnets = new string[count];
        var tokens = new string[count];
        var states = new string[count];
        var expiries = new DateTimeOffset[count];
        var nodes = new string[count];
        for (var i = 0; i < count; i++)
        {
            var lease = claims[i].Lease;
            addrs[i] = claims[i].Addr;
            addrInts[i] = claims[i].AddrInt;
            subnets[i] = lease.Subnet;
            tokens[i] = lease.Token;
            states[i] = LeaseRows.StateText(lease.State);
            expiries[i] = StoreTime.Truncate(lease.ExpiresAt);
            nodes[i] = lease.Node;
        }
        await using var command = _database.Command(ClaimManySql);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = addrs });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = addrInts });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = subnets });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = tokens });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = states });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]> { TypedValue = expiries });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = nodes });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = StoreTime.Truncate(_time.GetUtcNow()) });
        // The batch's earliest "now" for all of it: a lease expiring within the few milliseconds between its claims
        // counts as still active, which can only refuse a claim, never take a live lease.
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = StoreTime.Truncate(claims.Min(c => c.Now)) });
        var claimed = new Dictionary<string, Lease>(count, StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var lease = Read(reader);
                claimed[lease.Addr] = lease;
            }
        }
        var outcomes = new ClaimOutcome[count];
        for (var i = 0; i < count; i++)
        {
            outcomes[i] = new ClaimOutcome(claimed.GetValueOrDefault(addrs[i]), null);
        }
        return outcomes;
    }

    private async Task<IReadOnlyList<Lease?>> FindByTokensAsync(IReadOnlyList<string> tokens, CancellationToken cancellationToken)
    {
        await using var command = _database.Command(FindByTokensSql);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = tokens.Distinct(StringComparer.Ordinal).ToArray() });
        var found = new Dictionary<string, Lease>(tokens.Count, StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var lease = Read(reader);
                found[lease.Token] = lease;
            }
        }
        return tokens.Select(t => found.GetValueOrDefault(t)).ToArray();
    }

    public async Task<Lease?> TryUpdateAsync(Lease lease, CancellationToken cancellationToken = default)
    {
        await using var command = _database.Command(
            $"""
            UPDATE leases SET state = $3, expires_at = $4, node = $5, revision = nextval('revision'), updated_at = $6
            WHERE addr = $1 AND token = $2
            RETURNING {LeaseRows.Columns}
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = LeaseRows.Address(lease.Addr).Addr });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = lease.Token });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = LeaseRows.StateText(lease.State) });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = StoreTime.Truncate(lease.ExpiresAt) });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = lease.Node });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = StoreTime.Truncate(_time.GetUtcNow()) });
        return await ExecuteOne(command, lease, cancellationToken);
    }

    public ValueTask<IReadOnlyList<uint>> FindUnusedAddressesAsync(string subnet, uint first, uint last, int max, CancellationToken cancellationToken = default) =>
        LeaseRows.FindUnusedAsync(first, last, max, async (from, to) =>
        {
            await using var command = _database.Command("SELECT addr_int FROM leases WHERE subnet = $1 AND addr_int BETWEEN $2 AND $3 ORDER BY addr_int");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subnet });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = from });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = to });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var used = new List<long>();
            while (await reader.ReadAsync(cancellationToken))
            {
                used.Add(reader.GetInt64(0));
            }
            return used;
        });

    public Task<Lease?> FindMostExpiredAsync(string subnet, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        QueryOneAsync(LeaseRows.FindMostExpiredSql, cancellationToken, subnet, StoreTime.Truncate(now));

    public async Task<int> ExpireAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var command = _database.Command(
            $"UPDATE leases SET state = 'expired', revision = nextval('revision'), updated_at = $1 WHERE {LeaseRows.Active} AND expires_at <= $2");
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = StoreTime.Truncate(_time.GetUtcNow()) });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = StoreTime.Truncate(now) });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<bool> DeleteAsync(string addr, CancellationToken cancellationToken = default)
    {
        await using var command = _database.Command(LeaseRows.DeleteSql);
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
            throw TokenConflict(lease, e);
        }
    }

    private static StoreConflictException TokenConflict(Lease lease, PostgresException e) =>
        new($"lease {lease.Addr}: token '{lease.Token}' already holds another active lease", "token", lease.Token, e);

    private async Task<Lease?> QueryOneAsync(string sql, CancellationToken cancellationToken, params object[] values)
    {
        await using var command = _database.Command(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    private static Lease Read(NpgsqlDataReader reader) => LeaseRows.Read(reader, microseconds: false);

    public async ValueTask DisposeAsync()
    {
        await _claims.DisposeAsync();
        await _byToken.DisposeAsync();
    }

    /// <param name="Addr">The canonical dotted address (the row's key).</param>
    /// <param name="AddrInt">The same address as a host-order integer.</param>
    private sealed record Claim(Lease Lease, string Addr, uint AddrInt, DateTimeOffset Now);

    /// <param name="Error">What this claim alone failed with (a token conflict, a lost connection).</param>
    private readonly record struct ClaimOutcome(Lease? Lease, Exception? Error);
}
