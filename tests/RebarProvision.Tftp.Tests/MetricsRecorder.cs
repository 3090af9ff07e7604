using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace RebarProvision.Tftp.Tests;

/// <summary>Sums the long counters one meter reports, by instrument name and tag values.</summary>
public sealed class MetricsRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _totals = new();

    public MetricsRecorder(Meter meter)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            _totals.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value);
            foreach (var tag in tags)
            {
                _totals.AddOrUpdate($"{instrument.Name}{{{tag.Key}={tag.Value}}}", value, (_, sum) => sum + value);
            }
        });
        _listener.Start();
    }

    /// <summary>The total of "name" or of "name{tag=value}".</summary>
    public long this[string key] => _totals.GetValueOrDefault(key);

    public void Dispose() => _listener.Dispose();
}
