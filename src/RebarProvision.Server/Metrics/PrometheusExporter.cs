using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace RebarProvision.Server.Metrics;

/// <summary>
/// Collects every instrument of the "RebarProvision.*" meters (the DHCP, TFTP, HTTP and store code publish through
/// System.Diagnostics.Metrics, knowing nothing of Prometheus) and renders them in the Prometheus text format.
/// Counters become <c>_total</c> series; histograms are summarised as <c>_count</c> and <c>_sum</c>.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Name, string Labels), Series> _series = new();

    private sealed class Series
    {
        public string Kind = "counter";
        public double Value;
        public long Count;
    }

    public PrometheusExporter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name.StartsWith("RebarProvision", StringComparison.Ordinal))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = Labels(tags);
        var series = _series.GetOrAdd((Sanitize(instrument.Name), labels), _ => new Series
        {
            Kind = instrument switch
            {
                Histogram<double> or Histogram<long> => "histogram",
                ObservableGauge<long> or ObservableGauge<double> or ObservableGauge<int> or UpDownCounter<long> or UpDownCounter<int> or Gauge<long> or Gauge<double> => "gauge",
                _ => "counter",
            },
        });
        lock (series)
        {
            if (series.Kind == "gauge" && instrument is ObservableGauge<long> or ObservableGauge<double> or ObservableGauge<int> or Gauge<long> or Gauge<double>)
            {
                series.Value = value;
            }
            else
            {
                series.Value += value;
            }
            series.Count++;
        }
    }

    public string Render()
    {
        _listener.RecordObservableInstruments();
        var text = new StringBuilder();
        foreach (var group in _series.OrderBy(s => s.Key.Name, StringComparer.Ordinal).ThenBy(s => s.Key.Labels, StringComparer.Ordinal).GroupBy(s => s.Key.Name))
        {
            var kind = group.First().Value.Kind;
            var name = kind == "counter" && !group.Key.EndsWith("_total", StringComparison.Ordinal) ? group.Key + "_total" : group.Key;
            text.Append(CultureInfo.InvariantCulture, $"# TYPE {name} {(kind == "histogram" ? "summary" : kind)}\n");
            foreach (var ((_, labels), series) in group)
            {
                lock (series)
                {
                    if (kind == "histogram")
                    {
                        text.Append(CultureInfo.InvariantCulture, $"{name}_sum{labels} {series.Value}\n{name}_count{labels} {series.Count}\n");
                    }
                    else
                    {
                        text.Append(CultureInfo.InvariantCulture, $"{name}{labels} {series.Value}\n");
                    }
                }
            }
        }
        return text.ToString();
    }

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0)
        {
            return "";
        }
        var pairs = new List<string>(tags.Length);
        foreach (var tag in tags)
        {
            var value = Convert.ToString(tag.Value, CultureInfo.InvariantCulture)?.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
            pairs.Add($"{Sanitize(tag.Key)}=\"{value}\"");
        }
        pairs.Sort(StringComparer.Ordinal);
        return "{" + string.Join(',', pairs) + "}";
    }

    private static string Sanitize(string name) =>
        string.Create(name.Length, name, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = char.IsAsciiLetterOrDigit(source[i]) || source[i] == '_' ? source[i] : '_';
            }
        });

    public void Dispose() => _listener.Dispose();
}
