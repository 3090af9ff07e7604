using System.Diagnostics;
using Npgsql;
using RebarProvision.Dhcp;

namespace RebarProvision.Testing.Ha;

/// <summary>
/// DHCP servers on one segment behind a relay that forwards to all of them, and perfdhcp (Kea's load generator,
/// acting as a relay agent with its own giaddr) on the same segment, its traffic captured by tcpdump. Ours run as
/// <see cref="HaNode"/>s on a private PostgreSQL; the benchmark puts Kea's HA pair in their place.
/// </summary>
public sealed class HaRig : IAsyncDisposable
{
    public const string LoadAddress = HaLan.Prefix + ".0.2";
    private const string Database = "rebar";

    private readonly PostgresInstance? _postgres;

    private HaRig(HaLan lan, PostgresInstance? postgres, NetworkNamespace load)
    {
        Lan = lan;
        _postgres = postgres;
        Load = load;
    }

    public HaLan Lan { get; }

    /// <summary>The database our nodes share.</summary>
    public PostgresInstance Postgres => _postgres ?? throw new InvalidOperationException("these servers have no PostgreSQL");

    public NetworkNamespace Load { get; }

    public List<IHaServer> Servers { get; } = [];

    public ForwardingRelay? Relay { get; private set; }

    /// <summary>The address of the <paramref name="index"/>-th server on the segment.</summary>
    public static string ServerAddress(int index) => $"{HaLan.Prefix}.0.{10 + index}";

    /// <summary>Our nodes, named <paramref name="nodeNames"/>, on one fresh PostgreSQL.</summary>
    public static Task<HaRig> StartAsync(params string[] nodeNames) => StartAsync(nodeNames, "", new Dictionary<string, string>());

    /// <summary>
    /// Our nodes on one fresh PostgreSQL, with <paramref name="samples"/> (YAML: bootenvs, machines) beside the
    /// segment's subnet, and <paramref name="files"/> (path under a data directory's <c>files/</c> → source file) on
    /// every node's disk, as an operator installs a bootenv on each node.
    /// </summary>
    public static async Task<HaRig> StartAsync(string[] nodeNames, string samples, IReadOnlyDictionary<string, string> files)
    {
        Prerequisite.RequireRoot();
        var postgres = await PostgresInstance.StartPrimaryAsync();
        try
        {
            await postgres.CreateDatabaseAsync(Database);
            var content = Content(samples);
            var connectionString = $"Host={postgres.DataDirectory};Port={postgres.Port};Username=postgres;Database={Database}";
            return await StartAsync(postgres, async lan =>
            {
                var nodes = new List<IHaServer>();
                try
                {
                    for (var i = 0; i < nodeNames.Length; i++)
                    {
                        // The first node migrates the schema and makes the keys; the others start after it with copies.
                        nodes.Add(await HaNode.StartAsync(lan, nodeNames[i], ServerAddress(i), connectionString, content,
                            i == 0 ? null : ((HaNode)nodes[0]).DataDir, files));
                    }
                    await WaitUntilNodesSeeEachOtherAsync(postgres, nodes.Count);
                    return nodes;
                }
                catch
                {
                    nodes.ForEach(n => n.Dispose());
                    throw;
                }
            });
        }
        catch
        {
            await postgres.DisposeAsync();
            throw;
        }
    }

    /// <summary>Servers that <paramref name="startServers"/> starts on the segment (the relay forwards to them all).</summary>
    public static async Task<HaRig> StartAsync(PostgresInstance? postgres, Func<HaLan, Task<List<IHaServer>>> startServers)
    {
        Prerequisite.RequireRoot();
        Prerequisite.RequireCommand("perfdhcp");
        Prerequisite.RequireCommand("tcpdump");
        var lan = HaLan.Create();
        var rig = new HaRig(lan, postgres, lan.AddMember("hal", LoadAddress));
        try
        {
            rig.Servers.AddRange(await startServers(lan));
            rig.Relay = new ForwardingRelay(lan.Hub, HaLan.RelayAddress, [.. rig.Servers.Select(n => n.Address)]);
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    public NpgsqlConnection OpenDatabase()
    {
        // Unpooled: a pooled connection from before a restart of the server would fail its first command.
        var connection = new NpgsqlConnection(Postgres.ConnectionString(Database) + ";Pooling=false");
        connection.Open();
        return connection;
    }

    /// <summary>A pool far larger than the run needs: a full pool must not be what the test measures.</summary>
    public const string PoolStart = HaLan.Prefix + ".1.0";

    public const string PoolEnd = HaLan.Prefix + ".120.255";

    private static string Content(string samples)
    {
        var content = Directory.CreateTempSubdirectory("rebar-ha-content-").FullName;
        // The shipped templates and bootenvs, when the caller's output carries them (the boot scripts need them).
        foreach (var folder in new[] { "bootenvs", "templates" })
        {
            var shipped = Path.Combine(AppContext.BaseDirectory, "content", folder);
            if (Directory.Exists(shipped))
            {
                Directory.CreateDirectory(Path.Combine(content, folder));
                foreach (var file in Directory.GetFiles(shipped))
                {
                    File.Copy(file, Path.Combine(content, folder, Path.GetFileName(file)));
                }
            }
        }
        Directory.CreateDirectory(Path.Combine(content, "samples"));
        File.WriteAllText(Path.Combine(content, "samples", "ha.yaml"), $"""
            subnets:
              - name: ha
                cidr: {HaLan.Prefix}.0.0/16
                activeStart: {PoolStart}
                activeEnd: {PoolEnd}
                leaseTime: 3600

            """ + samples);
        return content;
    }

    private static async Task WaitUntilNodesSeeEachOtherAsync(PostgresInstance postgres, int count)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            await using var connection = new NpgsqlConnection(postgres.ConnectionString(Database) + ";Pooling=false");
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "SELECT count(*) FROM nodes WHERE now() - last_seen < interval '3 seconds' AND session_pid IS NOT NULL", connection);
            if ((long)(await command.ExecuteScalarAsync())! == count)
            {
                // One more beat, so each node has read the others back.
                await Task.Delay(1500);
                return;
            }
            await Task.Delay(200);
        }
        throw new TimeoutException("the nodes did not all beat within 30 s");
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
        foreach (var server in Servers)
        {
            server.Dispose();
        }
        Lan.Dispose();
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }
}
