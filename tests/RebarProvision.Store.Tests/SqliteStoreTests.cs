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
    public async Task Two_stores_migrating_one_new_file_at_once_both_come_up()
    {
        await using var first = new SqliteStore(_directory);
        await using var second = new SqliteStore(_directory);

        await Task.WhenAll(Task.Run(() => first.MigrateAsync()), Task.Run(() => second.MigrateAsync()));

        await first.Objects.CreateAsync(new Model.Profile { Name = "p" });
        Assert.Equal(1, await second.Objects.CountAsync(Model.ObjectKind.Profiles));
    }

    [Fact]
    public async Task The_database_is_one_file_in_the_data_directory_in_WAL_mode()
    {
        var store = await StartAsync();

        Assert.Equal(Path.Combine(_directory, "rebar.db"), ((SqliteStore)store).Path);
        Assert.True(File.Exists(Path.Combine(_directory, "rebar.db-wal")));
    }
}
