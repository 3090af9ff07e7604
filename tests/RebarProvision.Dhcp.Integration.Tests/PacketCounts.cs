using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using RebarProvision.Dhcp.Server;

namespace RebarProvision.Dhcp.Integration.Tests;

/// <summary>rebar_dhcp_packets as /metrics would count it, from one <see cref="DhcpMetrics"/> instance only.</summary>
internal sealed class PacketCounts : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Type, string Outcome), long> _counts = new();

    public PacketCounts(DhcpMetrics metrics)
    {
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == metrics.Meter && instrument.Name == "rebar_dhcp_packets")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string type = "", outcome = "";
            foreach (var tag in tags)
            {
                if (tag.Key == "type")
                {
                    type = (string)tag.Value!;
                }
                else if (tag.Key == "outcome")
                {
                    outcome = (string)tag.Value!;
                }
            }
            _counts.AddOrUpdate((type, outcome), value, (_, sum) => sum + value);
        });
        _listener.Start();
    }

    /// <summary>Every datagram counted, whatever became of it.</summary>
    public long Total => _counts.Values.Sum();

    /// <summary>Datagrams refused before any answer was looked for.</summary>
    public long Dropped => _counts.Where(c => c.Key.Type == "invalid").Sum(c => c.Value);

    public long Outcome(string outcome) => _counts.Where(c => c.Key.Outcome == outcome).Sum(c => c.Value);

    public void Dispose() => _listener.Dispose();
}
