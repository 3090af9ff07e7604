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
    public async Task The_database_is_one_file_in_the_data_directory_in_WAL_mode()
    {
        var store = await StartAsync();

        Assert.Equal(Path.Combine(_directory, "rebar.db"), ((SqliteStore)store).Path);
        Assert.True(File.Exists(Path.Combine(_directory, "rebar.db-wal")));
    }
}
