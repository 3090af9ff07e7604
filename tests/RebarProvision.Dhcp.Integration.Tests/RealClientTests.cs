using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using RebarProvision.Model;
using RebarProvision.Testing;

namespace RebarProvision.Dhcp.Integration.Tests;

/// <summary>Real DHCP clients (ISC dhclient, busybox udhcpc, ISC perfdhcp) against the service in network namespaces.</summary>
public sealed partial class RealClientTests
{
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(45);

    [SkippableFact]
    public async Task Dhclient_gets_a_lease_and_keeps_it_when_it_asks_again()
    {
        var dhclient = Prerequisite.RequireCommand("dhclient");
        await using var server = await DhcpTestServer.StartAsync("a", "10.91.0.1/24", null,
            TempStore.Subnet("lab", "10.91.0.0/24", "10.91.0.100", "10.91.0.150", new DhcpOptionValue { Code = 3, Value = "10.91.0.1" }));
        var leaseFile = Path.Combine(server.TempDirectory, "dhclient.leases");
        var pidFile = Path.Combine(server.TempDirectory, "dhclient.pid");
        string[] run = [dhclient, "-1", "-v", "-sf", "/bin/true", "-lf", leaseFile, "-pf", pidFile, "vc"];

        var first = await server.ClientNamespace.RunAsync(ClientTimeout, run);
        Assert.True(first.ExitCode == 0, first.ToString());
        var address = DhcpAck().Match(first.Output).Groups[1].Value;
        Assert.StartsWith("10.91.0.", address);
        // Stop the daemon it left behind, keeping the lease file, then boot again: INIT-REBOOT asks for the same address.
        await server.ClientNamespace.RunAsync(ClientTimeout, dhclient, "-x", "-sf", "/bin/true", "-lf", leaseFile, "-pf", pidFile, "vc");
        var second = await server.ClientNamespace.RunAsync(ClientTimeout, run);
        await server.ClientNamespace.RunAsync(ClientTimeout, dhclient, "-x", "-sf", "/bin/true", "-lf", leaseFile, "-pf", pidFile, "vc");

        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains($"DHCPREQUEST for {address}", second.Output);
        Assert.Equal(address, DhcpAck().Match(second.Output).Groups[1].Value);
        var lease = await server.Temp.Store.Leases.GetAsync(address);
        Assert.Equal(LeaseState.Bound, lease!.State);
        Assert.Equal("lab", lease.Subnet);
    }

    [SkippableFact]
    public async Task Dhclient_renews_its_lease_at_T1_and_the_server_extends_it()
    {
        var dhclient = Prerequisite.RequireCommand("dhclient");
        // T1 of 4 s (option 58, sent instead of half the lease) makes the daemon renew within the test.
        await using var server = await DhcpTestServer.StartAsync("e", "10.89.0.1/24", null,
            TempStore.Subnet("lab", "10.89.0.0/24", "10.89.0.100", "10.89.0.150",
                new DhcpOptionValue { Code = 58, Value = "4" }, new DhcpOptionValue { Code = 59, Value = "8" }));
        var leaseFile = Path.Combine(server.TempDirectory, "dhclient.leases");
        var pidFile = Path.Combine(server.TempDirectory, "dhclient.pid");
        try
        {
            var first = await server.ClientNamespace.RunAsync(ClientTimeout, dhclient, "-1", "-v", "-sf", "/bin/true", "-lf", leaseFile, "-pf", pidFile, "vc");
            Assert.True(first.ExitCode == 0, first.ToString());
            var address = DhcpAck().Match(first.Output).Groups[1].Value;
            var bound = (await server.Temp.Store.Leases.GetAsync(address))!;

            // The daemon dhclient left running renews by itself (RFC 2131 §4.4.5 RENEWING: unicast to the server).
            var renewed = bound;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (renewed.Revision == bound.Revision && DateTime.UtcNow < deadline)
            {
                await Task.Delay(250);
                renewed = (await server.Temp.Store.Leases.GetAsync(address))!;
            }

            Assert.True(renewed.Revision > bound.Revision, $"no renewal of {address} within 30 s");
            Assert.Equal((LeaseState.Bound, bound.Token), (renewed.State, renewed.Token));
            Assert.True(renewed.ExpiresAt > bound.ExpiresAt, $"expiry {renewed.ExpiresAt:O} not after {bound.ExpiresAt:O}");
        }
        finally
        {
            await server.ClientNamespace.RunAsync(ClientTimeout, dhclient, "-x", "-sf", "/bin/true", "-lf", leaseFile, "-pf", pidFile, "vc");
        }
    }

    [SkippableFact]
    public async Task Udhcpc_gets_a_lease_and_renews_it()
    {
        Prerequisite.RequireCommand("udhcpc");
        await using var server = await DhcpTestServer.StartAsync("b", "10.92.0.1/24", null,
            TempStore.Subnet("lab", "10.92.0.0/24", "10.92.0.100", "10.92.0.150"));
        var script = WriteUdhcpcScript(server.TempDirectory);
        var process = server.ClientNamespace.Start("udhcpc", "-f", "-i", "vc", "-s", script, "-t", "10", "-T", "1", "-A", "1");
        var lines = new LineReader(process);

        var bound = await lines.WaitForAsync(l => l.StartsWith("LEASE bound", StringComparison.Ordinal), ClientTimeout);
        var address = bound.Split(' ')[2];
        var before = (await server.Temp.Store.Leases.GetAsync(address))!;
        await Task.Delay(1100);
        // SIGUSR1 makes udhcpc renew now: a unicast REQUEST from ciaddr (RFC 2131 §4.4.5 RENEWING).
        await ProcessRunner.RunCheckedAsync("kill", "-USR1", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var renewed = await lines.WaitForAsync(l => l.StartsWith("LEASE renew", StringComparison.Ordinal), ClientTimeout);

        Assert.StartsWith("10.92.0.", address);
        Assert.Equal(address, renewed.Split(' ')[2]);
        var after = (await server.Temp.Store.Leases.GetAsync(address))!;
        Assert.Equal(LeaseState.Bound, after.State);
        Assert.True(after.ExpiresAt > before.ExpiresAt, $"renewal should extend the lease: {before.ExpiresAt:O} -> {after.ExpiresAt:O}");
    }

    [SkippableFact]
    public async Task A_relayed_perfdhcp_client_gets_leases_from_the_subnet_matching_its_giaddr()
    {
        var perfdhcp = Prerequisite.RequireCommand("perfdhcp");
        await using var server = await DhcpTestServer.StartAsync("c", "10.93.0.1/24", "10.93.0.2/24",
            TempStore.Subnet("decoy", "10.94.0.0/24", "10.94.0.10", "10.94.0.200"),
            TempStore.Subnet("relayed", "10.93.0.0/24", "10.93.0.10", "10.93.0.200"));

        var result = await server.ClientNamespace.RunAsync(ClientTimeout, perfdhcp, "-4", "-r", "10", "-n", "20", "-R", "100", "-l", "vc", "10.93.0.1");

        var leases = await server.Temp.Store.Leases.ListAsync();
        Assert.True(leases.Count(l => l.Subnet == "relayed" && l.State == LeaseState.Bound) >= 15, $"{leases.Count} leases\n{result}");
        Assert.DoesNotContain(leases, l => l.Subnet == "decoy");
        Assert.All(leases, l => Assert.StartsWith("10.93.0.", l.Addr));
    }

    [SkippableFact]
    public async Task Garbage_datagrams_are_dropped_and_counted_while_a_real_client_gets_a_lease()
    {
        Prerequisite.RequireCommand("udhcpc");
        await using var server = await DhcpTestServer.StartAsync("d", "10.95.0.1/24", "10.95.0.2/24",
            TempStore.Subnet("lab", "10.95.0.0/24", "10.95.0.100", "10.95.0.150"));
        // This client only reports its lease: configuring it would move the flood's source address mid-flight.
        var script = WriteUdhcpcScript(server.TempDirectory, configure: false);
        // The flood lasts until the client has its lease (bounded: 200,000 datagrams or 30 s), so the client's whole
        // exchange happens under it.
        using var clientDone = new CancellationTokenSource();
        using var metrics = new PacketCounts(server.Metrics);
        var flood = Task.Run(() => server.ClientNamespace.Enter(() => SendGarbage(200_000, TimeSpan.FromSeconds(30), clientDone.Token)));
        var client = server.ClientNamespace.RunAsync(ClientTimeout, "udhcpc", "-f", "-q", "-n", "-i", "vc", "-s", script, "-t", "10", "-T", "1", "-A", "1");
        var result = await client;
        var floodOutlivedClient = !flood.IsCompleted;
        await clientDone.CancelAsync();
        var sent = await flood;

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(floodOutlivedClient, $"the flood ended ({sent} datagrams) before the client got its lease");
        Assert.Contains("LEASE bound 10.95.0.", result.Output);
        var deadline = Stopwatch.StartNew();
        while (metrics.Dropped < sent * 8 / 10 && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(100);
        }
        // The kernel may lose some datagrams (while ARP resolves, or fragments it cannot reassemble); every one
        // that reached the listener is either the client's (a handful) or dropped and counted.
        var report = $"dropped {metrics.Dropped} of {sent} sent, {metrics.Total} counted";
        Assert.True(metrics.Dropped >= sent * 8 / 10, report);
        Assert.True(metrics.Total - metrics.Dropped <= 20, report);
        Assert.True(metrics.Outcome("offer") + metrics.Outcome("ack") >= 2, report);
    }

    /// <summary>
    /// Random bytes, truncated and corrupted DISCOVERs, and oversized datagrams, paced so the kernel keeps them,
    /// until <paramref name="stop"/> or the count or time limit.
    /// </summary>
    private static int SendGarbage(int count, TimeSpan limit, CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var target = new IPEndPoint(IPAddress.Parse("10.95.0.1"), 67);
        var random = new Random(42);
        var discover = Requests.Discover("52:54:00:aa:bb:cc");
        var valid = new byte[600];
        discover.TryWrite(valid, valid.Length, out var validLength);
        var sent = 0;
        for (var i = 0; i < count && !stop.IsCancellationRequested && clock.Elapsed < limit; i++)
        {
            byte[] datagram;
            switch (i % 4)
            {
                case 0:
                    datagram = new byte[random.Next(0, 1400)];
                    random.NextBytes(datagram);
                    break;
                case 1:
                    datagram = valid.AsSpan(0, random.Next(0, 240)).ToArray();
                    break;
                case 2:
                    // A good header whose options run past the end.
                    datagram = valid.AsSpan(0, validLength).ToArray();
                    datagram[240] = 53;
                    datagram[241] = 200;
                    datagram = datagram.AsSpan(0, 260).ToArray();
                    break;
                default:
                    datagram = new byte[random.Next(1600, 9000)];
                    random.NextBytes(datagram);
                    break;
            }
            socket.SendTo(datagram, target);
            sent++;
            if (i % 50 == 49)
            {
                Thread.Sleep(5);
            }
        }
        return sent;
    }

    private static string WriteUdhcpcScript(string directory, bool configure = true)
    {
        var path = Path.Combine(directory, "udhcpc.sh");
        var setAddress = configure ? "ip addr flush dev \"$interface\"; ip addr add \"$ip/$subnet\" dev \"$interface\"" : ":";
        File.WriteAllText(path, $$"""
            #!/bin/sh
            case "$1" in
              bound|renew)
                {{setAddress}}
                echo "LEASE $1 $ip"
                ;;
            esac
            exit 0

            """);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return path;
    }

    [GeneratedRegex(@"DHCPACK of (\d+\.\d+\.\d+\.\d+)")]
    private static partial Regex DhcpAck();

    /// <summary>Collects a process's output lines and waits for one that matches.</summary>
    private sealed class LineReader
    {
        private readonly List<string> _lines = [];
        private readonly Process _process;

        public LineReader(Process process)
        {
            _process = process;
            process.OutputDataReceived += (_, e) => Add(e.Data);
            process.ErrorDataReceived += (_, e) => Add(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public async Task<string> WaitForAsync(Func<string, bool> match, TimeSpan timeout)
        {
            var clock = Stopwatch.StartNew();
            var seen = 0;
            while (clock.Elapsed < timeout)
            {
                lock (_lines)
                {
                    for (; seen < _lines.Count; seen++)
                    {
                        if (match(_lines[seen]))
                        {
                            return _lines[seen++];
                        }
                    }
                }
                if (_process.HasExited)
                {
                    break;
                }
                await Task.Delay(50);
            }
            lock (_lines)
            {
                throw new TimeoutException($"no matching line within {timeout}; output:\n{string.Join('\n', _lines)}");
            }
        }

        private void Add(string? line)
        {
            if (line is not null)
            {
                lock (_lines)
                {
                    _lines.Add(line);
                }
            }
        }
    }
}
