using Npgsql;
using NpgsqlTypes;
using RebarProvision.Store.Migrations;

namespace RebarProvision.Store.Postgres;

/// <summary>The one <see cref="NpgsqlDataSource"/> of a PostgreSQL store, and what every part of it shares.</summary>
internal sealed class PostgresDatabase(NpgsqlDataSource dataSource) : IAsyncDisposable
{
    /// <summary>
    /// Held (session-level) while migrating, so nodes starting together take turns: the first migrates, the others
    /// wait and then find nothing left to do. The value spells "rebar" in ASCII, plus a 1 for "migrations".
    /// </summary>
    private const long MigrationLock = 0x72_65_62_61_72_01;

    /// <summary>LISTEN on this channel for "kind:key:revision" after every object write.</summary>
    public const string ChangesChannel = "rebar_changes";

    public NpgsqlDataSource DataSource => dataSource;

    public ValueTask<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken) => dataSource.OpenConnectionAsync(cancellationToken);

    public NpgsqlCommand Command(string sql) => dataSource.CreateCommand(sql);

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await Execute(connection, $"SELECT pg_advisory_lock({MigrationLock})", cancellationToken);
        try
        {
            await Execute(connection, "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())", cancellationToken);
            var applied = new HashSet<int>();
            await using (var select = new NpgsqlCommand("SELECT version FROM schema_migrations", connection))
            await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    applied.Add(reader.GetInt32(0));
                }
            }
            foreach (var migration in Migration.For("Postgres").Where(m => !applied.Contains(m.Version)))
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await Execute(connection, migration.Sql, cancellationToken);
                await using var record = new NpgsqlCommand("INSERT INTO schema_migrations (version) VALUES ($1)", connection);
                record.Parameters.Add(new NpgsqlParameter<int> { TypedValue = migration.Version });
                await record.ExecuteNonQueryAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }
        }
        finally
        {
            await Execute(connection, $"SELECT pg_advisory_unlock({MigrationLock})", CancellationToken.None);
        }
    }

    public static NpgsqlParameter Jsonb(string? json) =>
        new() { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = (object?)json ?? DBNull.Value };

    public static bool IsUniqueViolation(PostgresException e) =>
        e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.ExclusionViolation;

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
