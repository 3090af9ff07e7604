using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using RebarProvision.Dhcp.Server;
using static RebarProvision.Dhcp.Integration.Tests.Requests;

namespace RebarProvision.Dhcp.Integration.Tests;

public sealed class DhcpMetricsTests
{
    [Fact]
    public async Task Packets_are_counted_by_type_and_outcome_and_allocations_are_timed()
    {
        await using var temp = await TempStore.CreateAsync(null, TempStore.Subnet("lab", "10.0.0.0/24", "10.0.0.100", "10.0.0.110"));
        using var meters = new TestMeters();
        var metrics = meters.Dhcp();
        var counted = new List<(string Type, string Outcome)>();
        var allocations = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == metrics.Meter)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, _, tags, _) =>
        {
            var t = tags.ToArray().ToDictionary(k => k.Key, k => k.Value?.ToString() ?? "");
            lock (counted)
            {
                counted.Add((t["type"], t["outcome"]));
            }
        });
        listener.SetMeasurementEventCallback<double>((instrument, _, _, _) =>
        {
            if (instrument.Name == "rebar_dhcp_allocation_seconds")
            {
                Interlocked.Increment(ref allocations);
            }
        });
        listener.Start();
        using var discovery = await ServerDiscovery.CreateAsync(temp.Store, TimeProvider.System, meters.Factory);
        var responder = new DhcpResponder(temp.Store, discovery, new LoneNode(), new DhcpServiceOptions(), metrics, TimeProvider.System, NullLogger<DhcpResponder>.Instance);
        var context = DhcpReceiveContext.Broadcast(Ip("10.0.0.1"));

        await responder.RespondAsync(Discover("52:54:00:00:00:01"), context);
        await responder.RespondAsync(Discover("52:54:00:00:00:02"), DhcpReceiveContext.Broadcast(Ip("172.16.0.1")));

        Assert.Equal(DhcpMetrics.MeterName, metrics.Meter.Name);
        Assert.Contains(("discover", "offer"), counted);
        Assert.Contains(("discover", "no-subnet"), counted);
        Assert.Equal(1, allocations);
    }
}
