using System.Net;
using System.Net.Http.Headers;
using RebarProvision.Testing;

namespace RebarProvision.Server.Tests;

/// <summary>
/// DESIGN §7's database faults with real server processes on a PostgreSQL of the test's own: stopped and started
/// again, and a streaming replica promoted after its primary stopped. No node is restarted.
/// </summary>
public sealed class DatabaseFaultTests
{
    private const string Mac = "52:54:00:db:00:01";

    [SkippableFact]
    public async Task While_PostgreSQL_is_stopped_writes_get_503_with_Retry_After_boot_scripts_render_from_memory_and_service_resumes_by_itself()
    {
        await using var postgres = await PostgresInstance.StartPrimaryAsync();
        await postgres.CreateDatabaseAsync("rebar");
        await using var cluster = await NodeCluster.StartAsync(1, connectionString: postgres.ConnectionString("rebar"));
        var node = cluster.Nodes[0];
        using var admin = NodeCluster.Admin(node);
        using var boot = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        await CreateBootableMachineAsync(admin);
        await NodeCluster.BindLoopbackLeaseAsync(postgres.ConnectionString("rebar"), Mac);
        var script = $"http://127.0.0.1:{node.HttpPort}/boot/{Mac}.ipxe";
        Assert.Contains("vmlinuz-db-test", await boot.GetStringAsync(script));

        await postgres.StopAsync();

        HttpResponseMessage? refused = null;
        await NodeCluster.EventuallyAsync(async () =>
        {
            refused = await admin.PostJsonAsync("profiles", """{"name":"during-outage"}""");
            return refused.StatusCode == HttpStatusCode.ServiceUnavailable;
        }, TimeSpan.FromSeconds(30), "an API write is refused with 503 while the database is stopped", pollMilliseconds: 200);
        Assert.True(refused!.Headers.RetryAfter?.Delta > TimeSpan.Zero, "503 carries Retry-After");
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);

        var during = await boot.GetAsync(script);
        await during.Expect(HttpStatusCode.OK);
        Assert.Contains("vmlinuz-db-test", await during.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await probe.GetAsync($"http://127.0.0.1:{node.ApiPort}/readyz")).StatusCode);

        await postgres.StartAsync();

        var resumed = await NodeCluster.EventuallyAsync(async () =>
            (await admin.PostJsonAsync("profiles", """{"name":"after-outage"}""")).StatusCode == HttpStatusCode.Created,
            TimeSpan.FromSeconds(30), "API writes succeed again once the database is back, without a restart", pollMilliseconds: 200);
        Console.WriteLine($"writes resumed {resumed.TotalSeconds:0.0} s after PostgreSQL started again");
        await NodeCluster.EventuallyAsync(async () => (await probe.GetAsync($"http://127.0.0.1:{node.ApiPort}/readyz")).IsSuccessStatusCode,
            TimeSpan.FromSeconds(15), "the node is ready again", pollMilliseconds: 200);
        Assert.False(node.HasExited);
    }

    [SkippableFact]
    public async Task Two_nodes_on_a_multi_host_connection_string_carry_on_on_a_promoted_replica_without_a_restart()
    {
        await using var primary = await PostgresInstance.StartPrimaryAsync();
        await primary.CreateDatabaseAsync("rebar");
        await using var replica = await PostgresInstance.StartReplicaOfAsync(primary);
        var connection = $"Host={primary.HostAndPort},{replica.HostAndPort};Username=postgres;Database=rebar;Target Session Attributes=read-write";
        await using var cluster = await NodeCluster.StartAsync(2, connectionString: connection);
        var (a, b) = (cluster.Nodes[0], cluster.Nodes[1]);
        using var adminA = NodeCluster.Admin(a);
        using var adminB = NodeCluster.Admin(b);
        await (await adminA.PostJsonAsync("profiles", """{"name":"before-failover"}""")).Expect(HttpStatusCode.Created);

        await primary.StopAsync();
        await replica.PromoteAsync();

        var resumed = await NodeCluster.EventuallyAsync(async () =>
            (await adminA.PostJsonAsync("profiles", """{"name":"after-failover"}""")).StatusCode == HttpStatusCode.Created,
            TimeSpan.FromSeconds(60), "node-1 writes to the promoted replica", pollMilliseconds: 250);
        Console.WriteLine($"node-1 wrote to the promoted replica {resumed.TotalSeconds:0.0} s after promotion");
        // Node-2 has not spoken to the database since the failover: its first calls may meet its broken pooled
        // connections (retried) or its open circuit (503); it must come back by itself, without a restart.
        await NodeCluster.EventuallyAsync(async () => (await adminB.GetAsync("profiles/before-failover")).IsSuccessStatusCode,
            TimeSpan.FromSeconds(30), "node-2 reads what was written before the failover", pollMilliseconds: 250);
        await NodeCluster.EventuallyAsync(async () => (await adminB.GetAsync("profiles/after-failover")).IsSuccessStatusCode,
            TimeSpan.FromSeconds(30), "node-2 reads the promoted replica", pollMilliseconds: 250);

        // Both nodes' change feeds follow the new primary: a token minted on node-2 opens node-1's API.
        var token = (await (await (await adminB.PostJsonAsync("tokens", """{"role":"readonly"}""")).Expect(HttpStatusCode.Created)).JsonAsync())["token"]!.GetValue<string>();
        using var bearerA = new HttpClient { BaseAddress = adminA.BaseAddress };
        bearerA.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        await NodeCluster.EventuallyAsync(async () => (await bearerA.GetAsync("profiles")).IsSuccessStatusCode,
            TimeSpan.FromSeconds(30), "node-1 honours a token made on node-2 after the failover", pollMilliseconds: 250);
        await NodeCluster.EventuallyAsync(async () => (await NodeCluster.NodesAsync(a)).Count(n => n!["live"]!.GetValue<bool>()) == 2,
            TimeSpan.FromSeconds(30), "both nodes heartbeat into the promoted replica", pollMilliseconds: 250);
        Assert.False(a.HasExited || b.HasExited);
    }

    private static async Task CreateBootableMachineAsync(HttpClient admin)
    {
        await (await admin.PostJsonAsync("bootenvs", """{"name":"db-test","kernel":"vmlinuz-db-test","bootParams":"console=ttyS0"}""")).Expect(HttpStatusCode.Created);
        await (await admin.PostJsonAsync("machines", $$"""{"name":"db-1","hardwareAddrs":["{{Mac}}"],"bootEnv":"db-test"}""")).Expect(HttpStatusCode.Created);
    }
}
