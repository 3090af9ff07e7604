using RebarProvision.Testing;

namespace RebarProvision.Server.Tests;

/// <summary>The server as a real process: start-up, migrations racing, configuration errors.</summary>
public sealed class ProcessTests
{
    [SkippableFact]
    public async Task Two_servers_started_at_once_on_one_empty_PostgreSQL_database_both_come_up_with_the_shipped_content_once()
    {
        await using var database = await PostgresDatabase.CreateAsync();
        // The shipped content: both see an empty store and both seed it at the same moment.
        var args = new[] { "--store", "postgres" };
        var env = new Dictionary<string, string> { ["REBAR_POSTGRES"] = database.ConnectionString, ["REBAR_ADMIN_PASSWORD"] = TestServer.AdminPassword };
        await using var first = ServerProcess.Start([.. args, "--data-dir", Directory.CreateTempSubdirectory().FullName, "--node", "n1"], env);
        await using var second = ServerProcess.Start([.. args, "--data-dir", Directory.CreateTempSubdirectory().FullName, "--node", "n2"], env);

        await Task.WhenAll(first.WaitReadyAsync(TimeSpan.FromSeconds(60)), second.WaitReadyAsync(TimeSpan.FromSeconds(60)));

        using var client = AuthClients.Basic("admin", TestServer.AdminPassword);
        var created = await client.PostJsonAsync($"http://127.0.0.1:{first.ApiPort}/api/v1/profiles", """{"name":"shared"}""");
        await created.Expect(System.Net.HttpStatusCode.Created);
        await (await client.GetAsync($"http://127.0.0.1:{second.ApiPort}/api/v1/profiles/shared")).Expect(System.Net.HttpStatusCode.OK);
        var bootEnvs = await client.GetAsync($"http://127.0.0.1:{second.ApiPort}/api/v1/bootenvs?name=flatcar");
        await bootEnvs.Expect(System.Net.HttpStatusCode.OK);
        Assert.Single(System.Text.Json.Nodes.JsonNode.Parse(await bootEnvs.Content.ReadAsStringAsync())!.AsArray());
    }

    [Fact]
    public async Task A_bad_setting_stops_the_server_with_exit_code_2_and_names_the_setting()
    {
        await using var server = ServerProcess.Start(["--store", "mysql"]);
        Assert.Equal(2, await server.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("store", server.Output);
    }
}
