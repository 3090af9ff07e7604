using RebarProvision.Server.Cluster;
using RebarProvision.Server.Configuration;
using RebarProvision.Server.Hosting;
using RebarProvision.Store;

namespace RebarProvision.Server.Events;

/// <summary>Keeps the event log bounded (DESIGN §3): every hour, events older than <see cref="ServerOptions.EventRetention"/> go.</summary>
public sealed class EventRetention : PeriodicJob
{
    private readonly IStore _store;
    private readonly ServerOptions _options;
    private readonly TimeProvider _time;

    public EventRetention(IStore store, ServerOptions options, TimeProvider time, ILogger<EventRetention> logger, SingletonWork singleton)
        : base(time, logger, singleton)
    {
        _store = store;
        _options = options;
        _time = time;
    }

    public override TimeSpan Interval => TimeSpan.FromHours(1);

    public override Task<int> RunOnceAsync(CancellationToken cancellationToken) =>
        _store.Events.PruneAsync(_time.GetUtcNow() - _options.EventRetention, cancellationToken);
}
