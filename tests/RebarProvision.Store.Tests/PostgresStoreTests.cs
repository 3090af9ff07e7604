using Npgsql;
using RebarProvision.Testing;

namespace RebarProvision.Store.Tests;

/// <summary>The contract on a fresh database per test on the run's PostgreSQL (REBAR_TEST_POSTGRES).</summary>
public sealed class PostgresStoreTests : StoreContract
{
    private PostgresDatabase? _database;

    protected override async Task<IStore> OpenAsync()
    {
        _database ??= await PostgresDatabase.CreateAsync();
        return new PostgresStore(_database.ConnectionString);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    /// <summary>One schema_migrations row per file in src/RebarProvision.Store/Migrations/Postgres.</summary>
    private const long ShippedMigrations = 4;

    [SkippableFact]
    public async Task Two_stores_migrating_one_empty_database_at_once_both_come_up()
    {
        _database = await PostgresDatabase.CreateAsync();
        await using var first = new PostgresStore(_database.ConnectionString);
        await using var second = new PostgresStore(_database.ConnectionString);

        await Task.WhenAll(Task.Run(() => first.MigrateAsync()), Task.Run(() => second.MigrateAsync()));

        await first.Objects.CreateAsync(new Model.Profile { Name = "p" });
        Assert.Equal(1, await second.Objects.CountAsync(Model.ObjectKind.Profiles));
        await using var command = second.DataSource.CreateCommand("SELECT count(*) FROM schema_migrations");
        Assert.Equal(ShippedMigrations, await command.ExecuteScalarAsync());
    }

    [SkippableFact]
    public async Task Two_processes_migrating_one_empty_database_at_once_both_come_up()
    {
        _database = await PostgresDatabase.CreateAsync();
        var migrator = Path.Combine(AppContext.BaseDirectory, "RebarProvision.Store.Perf.dll");
        var dotnet = Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet";

        var results = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ =>
            ProcessRunner.RunAsync(dotnet, [migrator, "migrate", "postgres", _database.ConnectionString], TimeSpan.FromSeconds(60))));

        Assert.All(results, r => Assert.True(r.ExitCode == 0 && r.StandardOutput.Contains("migrated", StringComparison.Ordinal), r.ToString()));
        var store = await StartAsync();
        await store.Objects.CreateAsync(new Model.Profile { Name = "p" });
        await using var command = ((PostgresStore)store).DataSource.CreateCommand("SELECT count(*) FROM schema_migrations");
        Assert.Equal(ShippedMigrations, await command.ExecuteScalarAsync());
    }

    [SkippableFact]
    public async Task Object_writes_notify_listeners_with_kind_key_and_revision()
    {
        var store = (PostgresStore)await StartAsync();
        await using var listener = await store.DataSource.OpenConnectionAsync();
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.Notification += (_, e) => received.TrySetResult(e.Payload);
        await using (var listen = new NpgsqlCommand($"LISTEN {PostgresStore.ChangesChannel}", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        var profile = await store.Objects.CreateAsync(new Model.Profile { Name = "p" });
        var wait = listener.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal($"profiles:p:{profile.Revision}", await received.Task.WaitAsync(TimeSpan.FromSeconds(5)));
        await wait;
    }
}
