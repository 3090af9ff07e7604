using System.Diagnostics;
using Npgsql;
using RebarProvision.Dhcp;
using RebarProvision.Testing;

namespace RebarProvision.EndToEnd.Tests.Ha;

/// <summary>
/// Two server nodes on one private PostgreSQL behind a relay that forwards to both, and perfdhcp (Kea's load
/// generator, acting as a relay agent with its own giaddr) on the same segment, its traffic captured by tcpdump.
/// </summary>
public sealed class HaRig : IAsyncDisposable
{
    public const string LoadAddress = HaLan.Prefix + ".0.2";
    private const string Database = "rebar";

    private readonly HaLan _lan;
    private readonly string _content;

    private HaRig(HaLan lan, PostgresInstance postgres, string content, NetworkNamespace load)
    {
        _lan = lan;
        Postgres = postgres;
        _content = content;
        Load = load;
    }

    public PostgresInstance Postgres { get; }

    public NetworkNamespace Load { get; }

    public List<HaNode> Nodes { get; } = [];

    public ForwardingRelay? Relay { get; private set; }

    public static async Task<HaRig> StartAsync(params string[] nodeNames)
    {
        Prerequisite.RequireRoot();
        Prerequisite.RequireCommand("perfdhcp");
        Prerequisite.RequireCommand("tcpdump");
        var postgres = await PostgresInstance.StartPrimaryAsync();
        HaLan? lan = null;
        try
        {
            await postgres.CreateDatabaseAsync(Database);
            lan = HaLan.Create();
            var load = lan.AddMember("hal", LoadAddress);
            var rig = new HaRig(lan, postgres, Content(), load);
            try
            {
                for (var i = 0; i < nodeNames.Length; i++)
                {
                    // The first node migrates the schema and makes the keys; the others start together after it.
                    rig.Nodes.Add(await HaNode.StartAsync(lan, nodeNames[i], $"{HaLan.Prefix}.0.{10 + i}", rig.NodeConnectionString, rig._content,
                        i == 0 ? null : rig.Nodes[0].DataDir));
                }
                rig.Relay = new ForwardingRelay(lan.Hub, HaLan.RelayAddress, [.. rig.Nodes.Select(n => n.Address)]);
                await rig.WaitUntilNodesSeeEachOtherAsync();
                return rig;
            }
            catch
            {
                await rig.DisposeAsync();
                throw;
            }
        }
        catch
        {
            lan?.Dispose();
            await postgres.DisposeAsync();
            throw;
        }
    }

    /// <summary>The nodes reach PostgreSQL through its Unix socket, which no network namespace hides.</summary>
    private string NodeConnectionString => $"Host={Postgres.DataDirectory};Port={Postgres.Port};Username=postgres;Database={Database}";

    public NpgsqlConnection OpenDatabase()
    {
        // Unpooled: a pooled connection from before a restart of the server would fail its first command.
        var connection = new NpgsqlConnection(Postgres.ConnectionString(Database) + ";Pooling=false");
        connection.Open();
        return connection;
    }

    /// <summary>A pool far larger than the run needs: a full pool must not be what the test measures.</summary>
    private static string Content()
    {
        var content = Directory.CreateTempSubdirectory("rebar-ha-content-").FullName;
        Directory.CreateDirectory(Path.Combine(content, "samples"));
        File.WriteAllText(Path.Combine(content, "samples", "ha.yaml"), $"""
            subnets:
              - name: ha
                cidr: {HaLan.Prefix}.0.0/16
                activeStart: {HaLan.Prefix}.1.0
                activeEnd: {HaLan.Prefix}.120.255
                leaseTime: 3600

            """);
        return content;
    }

    private async Task WaitUntilNodesSeeEachOtherAsync()
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            await using var connection = OpenDatabase();
            await using var command = new NpgsqlCommand(
                "SELECT count(*) FROM nodes WHERE now() - last_seen < interval '3 seconds' AND session_pid IS NOT NULL", connection);
            if ((long)(await command.ExecuteScalarAsync())! == Nodes.Count)
            {
                // One more beat, so each node has read the others back.
                await Task.Delay(1500);
                return;
            }
            await Task.Delay(200);
        }
        Assert.Fail("the nodes did not all beat within 30 s");
    }

    /// <summary>
    /// Runs perfdhcp for <paramref name="seconds"/> at <paramref name="rate"/> new clients a second (and
    /// <paramref name="renewRate"/> renewals of clients it has leases for), capturing its traffic; while it runs,
    /// <paramref name="during"/> gets the run's start (Unix seconds) to inject faults.
    /// </summary>
    public async Task<HaLoad> RunLoadAsync(int seconds, int rate, int renewRate, Func<double, Task> during)
    {
        var capture = Path.Combine(Directory.CreateTempSubdirectory("rebar-ha-capture-").FullName, "load.pcap");
        using var tcpdump = Load.Start("tcpdump", "-i", "eth0", "-n", "-U", "-s", "1500", "-w", capture, "udp port 67 or udp port 68");
        var listening = new TaskCompletionSource();
        tcpdump.ErrorDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("listening on", StringComparison.Ordinal) == true)
            {
                listening.TrySetResult();
            }
        };
        tcpdump.BeginErrorReadLine();
        await listening.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        var perfdhcp = Load.RunAsync(TimeSpan.FromSeconds(seconds + 60), "perfdhcp", "-4", "-l", LoadAddress, "-r", rate.ToString(),
            "-f", renewRate.ToString(), "-R", "1000000", "-p", seconds.ToString(), "-t", "5", "-W", "2000000", HaLan.RelayAddress);
        await during(start);
        var result = await perfdhcp;
        await Task.Delay(1000);
        tcpdump.Kill();
        await tcpdump.WaitForExitAsync();
        return new HaLoad(start, DhcpCapture.Read(capture), result.Output);
    }

    public async ValueTask DisposeAsync()
    {
        Relay?.Dispose();
        foreach (var node in Nodes)
        {
            node.Dispose();
        }
        _lan.Dispose();
        await Postgres.DisposeAsync();
    }
}
