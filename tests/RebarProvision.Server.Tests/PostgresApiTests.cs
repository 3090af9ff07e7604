using RebarProvision.Testing;

namespace RebarProvision.Server.Tests;

public sealed class PostgresApiTests : ApiContract
{
    private PostgresDatabase? _database;

    protected override async Task<TestServer> StartServerAsync()
    {
        _database = await PostgresDatabase.CreateAsync();
        return await TestServer.StartAsync(o =>
        {
            o.Store = "postgres";
            o.Postgres = _database.ConnectionString;
        });
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
