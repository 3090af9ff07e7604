namespace RebarProvision.Server.Tests;

public sealed class SqliteApiTests : ApiContract
{
    protected override Task<TestServer> StartServerAsync() => TestServer.StartAsync();
}
