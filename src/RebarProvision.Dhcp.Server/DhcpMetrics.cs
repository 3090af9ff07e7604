using System.Diagnostics.Metrics;
using System.Text;

namespace RebarProvision.Dhcp.Server;

/// <summary>
/// Packets by message type and outcome, and allocation latency (DESIGN §10), on the meter "RebarProvision.Dhcp".
/// Tag values are strings made once per enum value, not per packet.
/// </summary>
public sealed class DhcpMetrics
{
    public const string MeterName = "RebarProvision.Dhcp";

    /// <summary>Message types 1-8 by number, "other" for the rest; "invalid" for datagrams that were not a request.</summary>
    private static readonly string[] TypeNames =
        [.. Enumerable.Range(0, 9).Select(i => i == 0 ? "other" : ((DhcpMessageType)i).ToString().ToLowerInvariant())];

    private const string Invalid = "invalid";

    private static readonly string[] OutcomeNames = [.. Enum.GetValues<DhcpOutcome>().Select(o => KebabCase(o.ToString()))];

    private readonly Counter<long> _packets;
    private readonly Histogram<double> _allocation;

    /// <summary>
    /// The server's packets, on the host's own "RebarProvision.Dhcp" meter: the factory (the host's, or a test's)
    /// owns and disposes it, and two hosts in one process count apart.
    /// </summary>
    public DhcpMetrics(IMeterFactory meters)
        : this(meters.Create(MeterName))
    {
    }

    /// <param name="meter">A meter its creator owns and disposes: the warm-up's, which /metrics does not export.</param>
    internal DhcpMetrics(Meter meter)
    {
        Meter = meter;
        _packets = Meter.CreateCounter<long>("rebar_dhcp_packets", description: "DHCP packets by message type and outcome");
        _allocation = Meter.CreateHistogram<double>("rebar_dhcp_allocation_seconds", unit: "s", description: "Time to choose and claim an address");
    }

    public Meter Meter { get; }

    /// <summary>A datagram refused before any answer was looked for: malformed, oversized, over the pending limit.</summary>
    public void Drop(DhcpOutcome reason) => Add(Invalid, reason);

    public void Packet(DhcpMessageType type, DhcpOutcome outcome) =>
        Add(type is >= DhcpMessageType.Discover and <= DhcpMessageType.Inform ? TypeNames[(int)type] : TypeNames[0], outcome);

    public void Allocation(TimeSpan elapsed) => _allocation.Record(elapsed.TotalSeconds);

    private void Add(string type, DhcpOutcome outcome) =>
        _packets.Add(1, new KeyValuePair<string, object?>("type", type), new KeyValuePair<string, object?>("outcome", OutcomeNames[(int)outcome]));

    /// <summary>"NoSubnet" as "no-subnet", the labels' spelling.</summary>
    private static string KebabCase(string name)
    {
        var text = new StringBuilder(name.Length + 4);
        foreach (var c in name)
        {
            if (char.IsUpper(c) && text.Length > 0)
            {
                text.Append('-');
            }
            text.Append(char.ToLowerInvariant(c));
        }
        return text.ToString();
    }
}
