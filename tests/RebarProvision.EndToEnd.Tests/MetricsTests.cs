using System.Net;
using System.Net.Sockets;
using RebarProvision.Testing;
using RebarProvision.Tftp;

namespace RebarProvision.EndToEnd.Tests;

/// <summary>/metrics as Prometheus reads it, after a machine's real DHCP, TFTP and HTTP traffic.</summary>
public sealed class MetricsTests
{
    [SkippableFact]
    public async Task Dhcp_tftp_and_http_traffic_moves_their_metrics_and_a_gauge_read_twice_does_not_grow()
    {
        Prerequisite.RequireRoot();
        Prerequisite.RequireCommand("curl");
        using var server = await NamespacedServer.StartAsync("mx", "10.86.0");
        var before = await server.ScrapeAsync();
        var mac = server.ClientNamespace.Exec("cat", "/sys/class/net/vc/address").StandardOutput.Trim();

        var bootFile = await server.DhcpBootFileAsync();
        var pxelinux = $"tftp://{server.Address}/pxelinux.cfg/01-{mac.Replace(':', '-')}";
        Assert.Contains("kernel", await server.CurlAsync(pxelinux), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("#!ipxe", await server.CurlAsync(bootFile));
        // A transfer that stays open: its first block is never acknowledged, so the server keeps it running.
        using var silent = server.ClientNamespace.Enter(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        var rrq = new TftpRequest(false, $"pxelinux.cfg/01-{mac.Replace(':', '-')}", TftpMode.Octet, []);
        var request = new byte[TftpPacketWriter.GetLength(rrq)];
        TftpPacketWriter.TryWrite(rrq, request, out _);
        silent.SendTo(request, new IPEndPoint(IPAddress.Parse(server.Address), 69));
        var running = await ScrapeUntilAsync(server, s => s.Sum("rebar_tftp_active_transfers") == 1);

        var again = await server.ScrapeAsync();
        var after = await server.ScrapeAsync();

        Assert.Equal("gauge", after.Type("rebar_tftp_active_transfers"));
        // The silent transfer may end (it never ACKs) between scrapes; what must not happen is a gauge that grows.
        Assert.Equal(1, running.Sum("rebar_tftp_active_transfers"));
        Assert.InRange(again.Sum("rebar_tftp_active_transfers"), 0, 1);
        Assert.InRange(after.Sum("rebar_tftp_active_transfers"), 0, 1);
        Assert.Equal(0, before.Sum("rebar_dhcp_packets_total"));
        Assert.True(after.Sum("rebar_dhcp_packets_total", ("type", "discover"), ("outcome", "offer")) >= 1, after.Text);
        Assert.True(after.Sum("rebar_dhcp_packets_total", ("type", "request"), ("outcome", "ack")) >= 1, after.Text);
        Assert.True(after.Sum("rebar_tftp_transfers_total", ("outcome", "completed")) >= 1, after.Text);
        Assert.True(after.Sum("rebar_tftp_bytes_total") > before.Sum("rebar_tftp_bytes_total"), after.Text);
        Assert.Equal("histogram", after.Type("http_server_request_duration_seconds"));
        Assert.True(after.Sum("http_server_request_duration_seconds_count", ("http_route", "/{**path}"), ("http_response_status_code", "200")) >= 1, after.Text);
        Assert.True(running.Sum("http_server_request_duration_seconds_count") < after.Sum("http_server_request_duration_seconds_count"), after.Text);
    }

    private static async Task<PrometheusScrape> ScrapeUntilAsync(NamespacedServer server, Func<PrometheusScrape, bool> condition)
    {
        var scrape = await server.ScrapeAsync();
        for (var i = 0; i < 50 && !condition(scrape); i++)
        {
            await Task.Delay(100);
            scrape = await server.ScrapeAsync();
        }
        Assert.True(condition(scrape), scrape.Text);
        return scrape;
    }
}
