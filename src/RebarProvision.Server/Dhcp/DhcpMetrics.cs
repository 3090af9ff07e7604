using System.Diagnostics.Metrics;

namespace RebarProvision.Server.Dhcp;

/// <summary>
/// Packets by type and outcome, and allocation latency (DESIGN §10), on the meter "RebarProvision.Dhcp". Totals are
/// also kept as plain counters for the health page and tests.
/// </summary>
public sealed class DhcpMetrics : IDisposable
{
    public const string MeterName = "RebarProvision.Dhcp";

    private readonly Counter<long> _packets;
    private readonly Histogram<double> _allocation;
    private long _dropped;
    private long _answered;
    private long _received;

    /// <param name="meterName">Another meter than the exported one, for counts that are not the server's (the warm-up).</param>
    public DhcpMetrics(string meterName = MeterName)
    {
        Meter = new Meter(meterName);
        _packets = Meter.CreateCounter<long>("rebar_dhcp_packets", description: "DHCP packets by message type and outcome");
        _allocation = Meter.CreateHistogram<double>("rebar_dhcp_allocation_seconds", unit: "s", description: "Time to choose and claim an address");
    }

    public Meter Meter { get; }

    /// <summary>Datagrams refused before any answer: malformed, oversized, or over the queue.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public long Answered => Interlocked.Read(ref _answered);

    public long Received => Interlocked.Read(ref _received);

    public void Receive() => Interlocked.Increment(ref _received);

    public void Drop(string reason)
    {
        Interlocked.Increment(ref _dropped);
        _packets.Add(1, new KeyValuePair<string, object?>("type", "invalid"), new KeyValuePair<string, object?>("outcome", reason));
    }

    public void Packet(string type, string outcome)
    {
        if (outcome is "offer" or "ack" or "nak")
        {
            Interlocked.Increment(ref _answered);
        }
        _packets.Add(1, new KeyValuePair<string, object?>("type", type), new KeyValuePair<string, object?>("outcome", outcome));
    }

    public void Allocation(TimeSpan elapsed) => _allocation.Record(elapsed.TotalSeconds);

    public void Dispose() => Meter.Dispose();
}
