using System.Net;
using Npgsql;
using RebarProvision.Model;
using RebarProvision.Store;
using RebarProvision.Testing;

namespace RebarProvision.Server.Tests;

/// <summary><c>rebar-provision migrate --to-postgres</c>: an embedded store, live leases and all, moves to PostgreSQL.</summary>
public sealed class MigrateTests
{
    [SkippableFact]
    public async Task Migrating_an_embedded_store_copies_objects_sealed_secrets_live_leases_and_events_and_is_refused_while_a_server_holds_it()
    {
        await using var database = await PostgresDatabase.CreateAsync();
        await using var embedded = await TestServer.StartAsync(o => o.Node = "edge-1");
        await (await embedded.Api.PostJsonAsync("params", """{"name":"bmc/password","secure":true}""")).Expect(HttpStatusCode.Created);
        await (await embedded.Api.PostJsonAsync("profiles", """{"name":"rack1","params":{"bmc/password":"s3cret-value"}}""")).Expect(HttpStatusCode.Created);
        await (await embedded.Api.PostJsonAsync("machines", """{"name":"m1","hardwareAddrs":["52:54:00:ee:00:01"]}""")).Expect(HttpStatusCode.Created);
        var now = DateTimeOffset.UtcNow;
        var store = embedded.Service<IStore>();
        var leases = new[] { ("10.9.0.10", "52:54:00:ee:00:01"), ("10.9.0.11", "52:54:00:ee:00:02") };
        foreach (var (addr, mac) in leases)
        {
            Assert.NotNull(await store.Leases.TryClaimAsync(
                new Lease { Addr = addr, Token = mac, Subnet = "edge", State = LeaseState.Bound, ExpiresAt = now.AddHours(1), Node = "edge-1" }, now));
        }

        var refused = await RunMigrateAsync(embedded.Options.DataDir, database.ConnectionString);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains(embedded.Options.DataDir, refused.Output);
        Assert.Equal(0, await CountAsync(database, "SELECT count(*) FROM objects"));

        await embedded.StopAsync();
        var migrated = await RunMigrateAsync(embedded.Options.DataDir, database.ConnectionString);
        Assert.True(migrated.ExitCode == 0, migrated.ToString());
        Assert.Contains("2 leases (0 refused)", migrated.Output);

        foreach (var (addr, mac) in leases)
        {
            Assert.Equal(1, await CountAsync(database, $"SELECT count(*) FROM leases WHERE addr = '{addr}' AND token = '{mac}' AND state = 'bound' AND expires_at > now()"));
        }
        Assert.Equal(1, await CountAsync(database, "SELECT count(*) FROM objects WHERE kind = 'machines' AND body->>'name' = 'm1'"));
        Assert.Equal(1, await CountAsync(database, "SELECT count(*) FROM objects WHERE kind = 'profiles' AND key = 'rack1' AND body::text LIKE '%$secure%' AND body::text NOT LIKE '%s3cret-value%'"));
        Assert.True(await CountAsync(database, "SELECT count(*) FROM events WHERE kind = 'machine.created'") >= 1);

        // A node on PostgreSQL with the embedded node's keys opens the secret, and a second run does not double anything.
        var nodeDir = Directory.CreateTempSubdirectory("rebar-node-").FullName;
        CopyKeys(embedded.Options.DataDir, nodeDir);
        await using var node = ServerProcess.Start(["--store", "postgres", "--data-dir", nodeDir, "--node", "node-1"],
            new Dictionary<string, string> { ["REBAR_POSTGRES"] = database.ConnectionString, ["REBAR_ADMIN_PASSWORD"] = "unused: the admin came along" });
        await node.WaitReadyAsync(TimeSpan.FromSeconds(90));
        using var admin = NodeCluster.Admin(node);
        var profile = await (await (await admin.GetAsync("profiles/rack1")).Expect(HttpStatusCode.OK)).JsonAsync();
        Assert.Equal("s3cret-value", profile["params"]!["bmc/password"]!.GetValue<string>());
        await (await admin.GetAsync("leases/10.9.0.10")).Expect(HttpStatusCode.OK);
        Assert.Equal(1, (await RunMigrateAsync(embedded.Options.DataDir, database.ConnectionString)).ExitCode);
    }

    private static Task<ProcessRunner.Result> RunMigrateAsync(string dataDir, string connection) =>
        ProcessRunner.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "rebar-provision.dll"), "migrate", "--to-postgres", connection, "--data-dir", dataDir],
            TimeSpan.FromSeconds(120));

    private static async Task<long> CountAsync(PostgresDatabase database, string sql)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        try
        {
            return (long)(await command.ExecuteScalarAsync())!;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return 0;
        }
    }

    private static void CopyKeys(string from, string to)
    {
        Directory.CreateDirectory(Path.Combine(to, "keys"));
        foreach (var file in Directory.GetFiles(Path.Combine(from, "keys")))
        {
            File.Copy(file, Path.Combine(to, "keys", Path.GetFileName(file)));
        }
    }
}
