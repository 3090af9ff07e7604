using Microsoft.Extensions.Logging.Abstractions;
using RebarProvision.Dhcp;
using RebarProvision.Dhcp.Server;
using RebarProvision.Testing;

namespace RebarProvision.Server.Tests;

/// <summary>The DHCP warm-up answers its exchanges on a scratch store of its own and leaves nothing a user could see.</summary>
public sealed class DhcpWarmUpTests
{
    [Fact]
    public async Task Every_warm_up_exchange_is_answered_and_neither_its_scratch_store_nor_its_packets_remain()
    {
        var parent = Directory.CreateTempSubdirectory("rebar-warm-up-test-").FullName;
        await using var server = await TestServer.StartAsync();
        try
        {
            // The server's own meter factory: what it counts, /metrics exports.
            var served = new DhcpMetrics(server.Service<System.Diagnostics.Metrics.IMeterFactory>());
            served.Packet(DhcpMessageType.Discover, DhcpOutcome.Offer);

            var answered = await DhcpWarmUp.RunAsync(new DhcpServiceOptions { Node = "n1" }, parent, NullLogger.Instance, CancellationToken.None);

            Assert.Equal(DhcpWarmUp.Exchanges, answered);
            Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
            // The one packet the server counted is on /metrics; the warm-up's 800 are not.
            var scrape = new PrometheusScrape(await (await server.Api.GetAsync("/metrics")).Content.ReadAsStringAsync());
            Assert.Equal(1, scrape.Sum("rebar_dhcp_packets_total", ("type", "discover"), ("outcome", "offer")));
            Assert.False(scrape.Has("rebar_dhcp_packets_total", ("outcome", "ack")), scrape.Text);
        }
        finally
        {
            Directory.Delete(parent, recursive: true);
        }
    }

    [Fact]
    public async Task Warming_the_store_s_reads_changes_nothing_in_it()
    {
        var directory = Directory.CreateTempSubdirectory("rebar-warm-up-store-").FullName;
        try
        {
            await using (var store = new RebarProvision.Store.SqliteStore(directory))
            {
                await store.MigrateAsync();
                var subnets = await store.Objects.CountAsync(RebarProvision.Model.ObjectKind.Subnets);

                await DhcpWarmUp.ReadStoreAsync(store, CancellationToken.None);

                Assert.Empty(await store.Leases.ListAsync());
                Assert.Equal(subnets, await store.Objects.CountAsync(RebarProvision.Model.ObjectKind.Subnets));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
