using System.Text;
using RebarProvision.Dhcp;

namespace RebarProvision.Testing.Ha;

/// <summary>What one perfdhcp run saw on the wire, and the figures an HA test judges.</summary>
public sealed class HaLoad(double start, IReadOnlyList<DhcpCapture.Packet> packets, string perfdhcpOutput)
{
    /// <summary>How long after its DISCOVER a new client's ACK still counts as completing it.</summary>
    private const double CompletionWindow = 3;

    public double Start { get; } = start;

    public IReadOnlyList<DhcpCapture.Packet> Packets { get; } = packets;

    public string PerfdhcpOutput { get; } = perfdhcpOutput;

    public IEnumerable<DhcpCapture.Packet> Of(DhcpMessageType type) => Packets.Where(p => p.Type == type);

    /// <summary>Addresses ACKed to more than one client: must be none.</summary>
    public IReadOnlyList<string> Duplicates() =>
        [.. Of(DhcpMessageType.Ack).GroupBy(p => p.Message.YourAddress).Where(g => g.Select(p => p.Message.ClientMac).Distinct().Count() > 1)
            .Select(g => $"{DhcpOptionDefinition.FormatAddress(g.Key)}: {string.Join(", ", g.Select(p => p.Message.ClientMac).Distinct())}")];

    /// <summary>Clients ACKed two different addresses (one lost its lease on the way): must be none.</summary>
    public IReadOnlyList<string> Moved() =>
        [.. Of(DhcpMessageType.Ack).GroupBy(p => p.Message.ClientMac).Where(g => g.Select(p => p.Message.YourAddress).Distinct().Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(p => DhcpOptionDefinition.FormatAddress(p.Message.YourAddress)).Distinct())}")];

    /// <summary>NAKs to clients that held an ACKed lease by then: a renewal refused is a lease lost.</summary>
    public IReadOnlyList<string> RenewalsRefused()
    {
        var firstAck = Of(DhcpMessageType.Ack).GroupBy(p => p.Message.ClientMac).ToDictionary(g => g.Key, g => g.Min(p => p.UnixSeconds));
        return [.. Of(DhcpMessageType.Nak).Where(n => firstAck.TryGetValue(n.Message.ClientMac, out var acked) && acked < n.UnixSeconds)
            .Select(n => $"{n.Message.ClientMac} at +{n.UnixSeconds - Start:F1} s")];
    }

    /// <summary>
    /// Per second of the run: DISCOVERs sent, and how many of those clients were ACKed within
    /// <see cref="CompletionWindow"/> seconds.
    /// </summary>
    public IReadOnlyList<(int Second, int Sent, int Completed)> PerSecond(int seconds)
    {
        var acks = Of(DhcpMessageType.Ack).GroupBy(p => p.Message.ClientMac).ToDictionary(g => g.Key, g => g.Select(p => p.UnixSeconds).Order().ToList());
        var series = new (int Second, int Sent, int Completed)[seconds];
        for (var s = 0; s < seconds; s++)
        {
            series[s] = (s, 0, 0);
        }
        foreach (var discover in Of(DhcpMessageType.Discover))
        {
            var second = (int)(discover.UnixSeconds - Start);
            if (second < 0 || second >= seconds)
            {
                continue;
            }
            var completed = acks.TryGetValue(discover.Message.ClientMac, out var times) &&
                times.Any(t => t > discover.UnixSeconds && t <= discover.UnixSeconds + CompletionWindow);
            series[second] = (second, series[second].Sent + 1, series[second].Completed + (completed ? 1 : 0));
        }
        return series;
    }

    public string Describe(int seconds)
    {
        var text = new StringBuilder();
        text.AppendLine("second  sent  completed  rate");
        foreach (var (second, sent, completed) in PerSecond(seconds))
        {
            text.AppendLine($"{second,6}  {sent,4}  {completed,9}  {(sent == 0 ? 0 : 100.0 * completed / sent),5:F1}%");
        }
        text.AppendLine($"ACKs {Of(DhcpMessageType.Ack).Count()}, NAKs {Of(DhcpMessageType.Nak).Count()}, OFFERs {Of(DhcpMessageType.Offer).Count()}");
        text.AppendLine("perfdhcp:").AppendLine(PerfdhcpOutput);
        return text.ToString();
    }
}
