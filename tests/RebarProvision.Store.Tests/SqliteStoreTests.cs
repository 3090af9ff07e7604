namespace RebarProvision.Store.Tests;

public sealed class SqliteStoreTests : StoreContract
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rebar-store-").FullName;

    protected override Task<IStore> OpenAsync() => Task.FromResult<IStore>(new SqliteStore(_directory));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_second_store_on_an_open_data_directory_is_refused_naming_it_and_opens_once_the_first_closes()
    {
        var first = await StartAsync();
        await first.Objects.CreateAsync(new Model.Profile { Name = "p" });

        var refused = Assert.Throws<InvalidOperationException>(() => new SqliteStore(_directory));
        Assert.Contains(_directory, refused.Message, StringComparison.Ordinal);
        Assert.Contains("already open", refused.Message, StringComparison.Ordinal);

        var second = await RestartAsync(first);
        Assert.Equal(1, await second.Objects.CountAsync(Model.ObjectKind.Profiles));
    }

    [Fact]
    public async Task Leases_read_from_memory_match_the_file_after_a_restart()
    {
        var store = await StartAsync();
        var now = DateTimeOffset.UtcNow;
        var lease = new Model.Lease { Addr = "10.0.0.5", Subnet = "s", Token = "aa:bb", State = Model.LeaseState.Bound, ExpiresAt = now.AddHours(1), Node = "n" };
        var claimed = await store.Leases.TryClaimAsync(lease, now);
        var moved = await store.Leases.TryClaimAsync(lease with { Addr = "10.0.0.6" }, now);
        Assert.NotNull(claimed);
        Assert.NotNull(moved);

        var before = (await store.Leases.GetAsync("10.0.0.5"), await store.Leases.GetAsync("10.0.0.6"), await store.Leases.FindByTokenAsync("aa:bb"));
        var restarted = await RestartAsync(store);
        var after = (await restarted.Leases.GetAsync("10.0.0.5"), await restarted.Leases.GetAsync("10.0.0.6"), await restarted.Leases.FindByTokenAsync("aa:bb"));

        Assert.Equal(Model.LeaseState.Expired, before.Item1!.State);
        Assert.Equal(moved, before.Item3);
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task A_lease_written_under_the_first_schema_survives_the_move_to_the_keyed_table()
    {
        // The file as the first release left it: migration 1 applied, one bound lease in the rowid table.
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_directory, "rebar.db")};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            using var first = new StreamReader(typeof(SqliteStore).Assembly.GetManifestResourceStream("RebarProvision.Store.Migrations.Sqlite.0001_initial.sql")!);
            command.CommandText =
                "PRAGMA journal_mode=WAL; CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);" +
                first.ReadToEnd() +
                "; INSERT INTO schema_migrations VALUES (1, 0);" +
                "INSERT INTO leases VALUES ('10.0.0.9', 167772169, 'lab', 'aa:bb', 'bound', 4102444800000000, 'n1', 7, 1, 2);";
            command.ExecuteNonQuery();
        }

        var store = await StartAsync();

        var lease = await store.Leases.GetAsync("10.0.0.9");
        Assert.NotNull(lease);
        Assert.Equal(("aa:bb", Model.LeaseState.Bound, 7L, "lab"), (lease.Token, lease.State, lease.Revision, lease.Subnet));
        Assert.Equal(lease, await store.Leases.FindByTokenAsync("aa:bb"));
        Assert.Null(await store.Leases.TryClaimAsync(lease with { Token = "cc:dd" }, DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task The_database_is_one_file_in_the_data_directory_in_WAL_mode()
    {
        var store = await StartAsync();

        Assert.Equal(Path.Combine(_directory, "rebar.db"), ((SqliteStore)store).Path);
        Assert.True(File.Exists(Path.Combine(_directory, "rebar.db-wal")));
    }
}
