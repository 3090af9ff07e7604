namespace RebarProvision.Store.Tests;

/// <summary>The decorator is transparent: the whole contract holds through it.</summary>
public sealed class ResilientSqliteStoreTests : StoreContract
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rebar-store-").FullName;

    protected override Task<IStore> OpenAsync() => Task.FromResult<IStore>(new ResilientStore(new SqliteStore(_directory), new ResilientStoreOptions(), TimeProvider.System));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
