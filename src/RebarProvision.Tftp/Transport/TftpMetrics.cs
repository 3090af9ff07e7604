using System.Diagnostics.Metrics;

namespace RebarProvision.Tftp.Transport;

/// <summary>The server's instruments on the "RebarProvision.Tftp" meter (DESIGN §10); the factory owns the meter.</summary>
internal sealed class TftpMetrics
{
    public const string MeterName = "RebarProvision.Tftp";

    public TftpMetrics(IMeterFactory factory, Func<int> activeTransfers)
    {
        Meter = factory.Create(MeterName);
        Transfers = Meter.CreateCounter<long>("rebar_tftp_transfers", description: "Transfers ended, by outcome (completed, timeout, unanswered, client_error, refused, failed, stopped)");
        Bytes = Meter.CreateCounter<long>("rebar_tftp_bytes", "By", "DATA payload bytes sent, retransmissions included");
        Retransmits = Meter.CreateCounter<long>("rebar_tftp_retransmits", description: "Packets sent again after a timeout or a gap");
        Errors = Meter.CreateCounter<long>("rebar_tftp_errors", description: "Errors by reason: malformed and unexpected packets dropped, requests refused, requests dropped when busy, overall or for one address");
        Meter.CreateObservableUpDownCounter("rebar_tftp_active_transfers", activeTransfers, description: "Transfers running now");
    }

    public Meter Meter { get; }

    public Counter<long> Transfers { get; }

    public Counter<long> Bytes { get; }

    public Counter<long> Retransmits { get; }

    public Counter<long> Errors { get; }

    public void Transfer(string outcome) => Transfers.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void Error(string reason) => Errors.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
