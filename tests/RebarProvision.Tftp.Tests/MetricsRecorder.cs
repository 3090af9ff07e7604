using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace RebarProvision.Tftp.Tests;

/// <summary>
/// A meter factory as a host builds it (AddMetrics), one per server, and the sums of the long counters reported on its
/// meters, by instrument name and tag values: another server's measurements (or another test's) are not heard.
/// </summary>
public sealed class MetricsRecorder : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _totals = new();

    public MetricsRecorder()
    {
        Meters = _services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, Meters))
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

    /// <summary>The factory to give the server.</summary>
    public IMeterFactory Meters { get; }

    public void Dispose()
    {
        _listener.Dispose();
        _services.Dispose();
    }
}
