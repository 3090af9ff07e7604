using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using RebarProvision.Testing;

namespace RebarProvision.Server.Tests;

/// <summary>
/// Several real server processes (nodes) on one fresh PostgreSQL database, each with a data directory of its own
/// holding copies of one set of keys (as an operator deploys a cluster: secure params and machine tokens must open on
/// every node). Owns the processes and the database; disposing kills what is left.
/// </summary>
public sealed class NodeCluster : IAsyncDisposable
{
    private readonly PostgresDatabase? _database;
    private readonly List<string> _directories = [];
    private readonly string[] _args;

    public List<ServerProcess> Nodes { get; } = [];

    public string ConnectionString { get; }

    private NodeCluster(PostgresDatabase? database, string connectionString, string[] args)
    {
        _database = database;
        ConnectionString = connectionString;
        _args = args;
    }

    /// <param name="connectionString">The nodes' connection string; when null, a fresh database on the test run's PostgreSQL.</param>
    public static async Task<NodeCluster> StartAsync(int count, string[]? args = null, string? connectionString = null)
    {
        var database = connectionString is null ? await PostgresDatabase.CreateAsync() : null;
        var cluster = new NodeCluster(database, connectionString ?? database!.ConnectionString, args ?? []);
        try
        {
            // The first node makes the keys (and migrates the schema); the others start with copies of them.
            await cluster.AddNodeAsync();
            var adding = Enumerable.Range(1, count - 1).Select(_ => cluster.AddNodeAsync()).ToList();
            await Task.WhenAll(adding);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public async Task<ServerProcess> AddNodeAsync()
    {
        var dataDir = Directory.CreateTempSubdirectory("rebar-node-").FullName;
        string name;
        lock (_directories)
        {
            if (_directories.Count > 0)
            {
                CopyDirectory(Path.Combine(_directories[0], "keys"), Path.Combine(dataDir, "keys"));
            }
            _directories.Add(dataDir);
            name = $"node-{_directories.Count}";
        }
        var node = ServerProcess.Start(
            ["--store", "postgres", "--data-dir", dataDir, "--node", name, .. _args],
            new Dictionary<string, string> { ["REBAR_POSTGRES"] = ConnectionString, ["REBAR_ADMIN_PASSWORD"] = TestServer.AdminPassword });
        lock (Nodes)
        {
            Nodes.Add(node);
        }
        await node.WaitReadyAsync(TimeSpan.FromSeconds(90));
        return node;
    }

    /// <summary>Puts a bootenv's file on every node's disk, as an operator's install of the bootenv does.</summary>
    public void PutBootEnvFile(string bootEnv, string name, string content)
    {
        lock (_directories)
        {
            foreach (var dataDir in _directories)
            {
                var folder = Path.Combine(dataDir, "files", "bootenvs", bootEnv);
                Directory.CreateDirectory(folder);
                File.WriteAllText(Path.Combine(folder, name), content);
            }
        }
    }

    /// <summary>
    /// Binds a lease for <paramref name="mac"/> at loopback in the cluster's database, as a DHCP exchange would: a
    /// machine's boot script goes only to the address of its bound lease (issue 13).
    /// </summary>
    public static async Task BindLoopbackLeaseAsync(string connectionString, string mac)
    {
        await using var store = RebarProvision.Store.StoreFactory.Create(RebarProvision.Store.StoreKind.Postgres, connectionString);
        var now = DateTimeOffset.UtcNow;
        var lease = await store.Leases.TryClaimAsync(
            new Model.Lease { Addr = "127.0.0.1", Token = mac, Subnet = "loopback", State = Model.LeaseState.Bound, ExpiresAt = now.AddHours(1) }, now);
        if (lease is null)
        {
            throw new InvalidOperationException($"could not bind 127.0.0.1 to {mac}");
        }
    }

    public static HttpClient Admin(ServerProcess node)
    {
        var client = AuthClients.Basic("admin", TestServer.AdminPassword, new Uri($"http://127.0.0.1:{node.ApiPort}/api/v1/"));
        client.Timeout = TimeSpan.FromSeconds(15);
        return client;
    }

    public static async Task<JsonArray> NodesAsync(ServerProcess node)
    {
        using var client = Admin(node);
        return (JsonArray)await (await (await client.GetAsync("nodes")).Expect(HttpStatusCode.OK)).JsonAsync();
    }

    /// <summary>Polls until <paramref name="condition"/> holds, returning how long it took; fails with <paramref name="what"/> at the deadline.</summary>
    public static async Task<TimeSpan> EventuallyAsync(Func<Task<bool>> condition, TimeSpan deadline, string what, int pollMilliseconds = 20)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < deadline)
        {
            if (await condition())
            {
                // A slow last poll counts: the condition held only once it answered.
                Assert.True(clock.Elapsed <= deadline, $"only after {clock.Elapsed}, not within {deadline}: {what}");
                return clock.Elapsed;
            }
            await Task.Delay(pollMilliseconds);
        }
        Assert.Fail($"not within {deadline}: {what}");
        return clock.Elapsed;
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
        foreach (var directory in _directories)
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
