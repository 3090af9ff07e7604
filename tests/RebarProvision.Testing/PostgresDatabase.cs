using Npgsql;

namespace RebarProvision.Testing;

/// <summary>
/// A fresh, empty database on the test run's PostgreSQL (REBAR_TEST_POSTGRES, set by tests/run.sh), dropped again
/// on dispose.
/// </summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    private readonly string _adminConnectionString;

    public string Name { get; }

    public string ConnectionString { get; }

    private PostgresDatabase(string adminConnectionString, string name)
    {
        _adminConnectionString = adminConnectionString;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = name }.ConnectionString;
    }

    public static string? ServerConnectionString => Environment.GetEnvironmentVariable("REBAR_TEST_POSTGRES");

    public static async Task<PostgresDatabase> CreateAsync()
    {
        var admin = ServerConnectionString;
        Prerequisite.Require(!string.IsNullOrEmpty(admin), "needs PostgreSQL: REBAR_TEST_POSTGRES is not set (run tests/run.sh)");
        var name = "rebar_" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = new NpgsqlConnection(admin);
        try
        {
            await connection.OpenAsync();
        }
        catch (NpgsqlException e)
        {
            Prerequisite.Require(false, $"needs PostgreSQL at REBAR_TEST_POSTGRES: {e.Message}");
        }
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return new PostgresDatabase(admin!, name);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_adminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}
