using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using RebarProvision.Dhcp.Server;
using RebarProvision.Store;
using static RebarProvision.Dhcp.Integration.Tests.Requests;

namespace RebarProvision.Dhcp.Integration.Tests;

/// <summary>The DHCP service while its database is away: no answers, each datagram counted, the log not flooded.</summary>
public sealed class StoreOutageTests
{
    private const int Datagrams = 60;

    [SkippableFact]
    public async Task Datagrams_meeting_a_store_outage_are_counted_and_logged_at_most_once_a_second_without_stack_traces()
    {
        // A real PostgreSQL store behind the real resilience seam, pointed at a loopback port where nothing listens:
        // every call is refused, the circuit opens, and the responder meets StoreUnavailableException.
        await using var unreachable = new ResilientStore(new PostgresStore("Host=127.0.0.1;Port=1;Username=rebar;Database=rebar;Timeout=2"), new ResilientStoreOptions(), TimeProvider.System);
        var logger = new ListLogger<DhcpService>();
        await using var server = await DhcpTestServer.StartAsync("o", "10.88.0.1/24", "10.88.0.2/24", unreachable, logger);
        using var counts = new PacketCounts(server.Metrics);

        var clock = Stopwatch.StartNew();
        server.ClientNamespace.Enter(() =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Parse("10.88.0.2"), 68));
            var buffer = new byte[DhcpService.MaxDatagram];
            for (var i = 0; i < Datagrams; i++)
            {
                var discover = Discover($"02:00:00:00:01:{i:x2}", (uint)i);
                Assert.True(discover.TryWrite(buffer, buffer.Length, out var length));
                socket.SendTo(buffer.AsSpan(0, length), new IPEndPoint(IPAddress.Parse("10.88.0.1"), 67));
                Thread.Sleep(20);
            }
            return 0;
        });
        var deadline = Stopwatch.StartNew();
        while (counts.Outcome("store-unavailable") < Datagrams && deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(100);
        }
        var elapsed = clock.Elapsed;

        Assert.Equal(Datagrams, counts.Outcome("store-unavailable"));
        var entries = logger.Entries;
        Assert.All(entries, e => Assert.Null(e.Exception));
        var reports = entries.Where(e => e.Level == LogLevel.Warning && e.Message.Contains("store is unavailable", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(reports);
        Assert.InRange(reports.Count, 1, (int)Math.Ceiling(elapsed.TotalSeconds) + 1);
        Assert.All(reports, r => Assert.Matches(@"\d+ requests unanswered", r.Message));
    }
}
