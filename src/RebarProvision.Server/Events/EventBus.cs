using System.Text.Json.Nodes;
using System.Threading.Channels;
using RebarProvision.Model;
using RebarProvision.Server.Secrets;
using RebarProvision.Store;

namespace RebarProvision.Server.Events;

/// <summary>
/// Records every change as an event in the store and hands it to live subscribers (the SSE stream, waiters).
/// A subscriber that falls behind loses events rather than slowing writers; it can catch up from the store by id.
/// </summary>
public sealed class EventBus
{
    private readonly IStore _store;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly List<Channel<StoredEvent>> _subscribers = [];

    public EventBus(IStore store, TimeProvider time)
    {
        _store = store;
        _time = time;
    }

    /// <summary>Event kinds are the singular object kind and a verb: machine.created, lease.bound, ...</summary>
    public static string KindOf(ObjectKind kind, string verb) => $"{kind.Name.TrimEnd('s')}.{verb}";

    public Task<StoredEvent> PublishAsync(ObjectKind kind, string verb, StoredObject value, string actor, CancellationToken cancellationToken = default) =>
        PublishAsync(KindOf(kind, verb), value.Key, actor, Snapshot(value), cancellationToken);

    public async Task<StoredEvent> PublishAsync(string kind, string key, string actor, JsonNode? snapshot, CancellationToken cancellationToken = default)
    {
        var stored = await _store.Events.AppendAsync(
            new StoredEvent { Kind = kind, Key = key, Actor = actor, Time = _time.GetUtcNow(), Object = snapshot },
            cancellationToken);
        lock (_gate)
        {
            foreach (var subscriber in _subscribers)
            {
                subscriber.Writer.TryWrite(stored);
            }
        }
        return stored;
    }

    /// <summary>A live feed of events published from now on; dispose the subscription to stop it.</summary>
    public Subscription Subscribe()
    {
        var channel = Channel.CreateBounded<StoredEvent>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest });
        lock (_gate)
        {
            _subscribers.Add(channel);
        }
        return new Subscription(this, channel);
    }

    /// <summary>Secure values never leave the server in events: the snapshot is the object as an unprivileged caller sees it.</summary>
    public static JsonNode? Snapshot(StoredObject value) => Redaction.ForEvent(value);

    private void Unsubscribe(Channel<StoredEvent> channel)
    {
        lock (_gate)
        {
            _subscribers.Remove(channel);
        }
        channel.Writer.TryComplete();
    }

    public sealed class Subscription : IDisposable
    {
        private readonly EventBus _bus;
        private readonly Channel<StoredEvent> _channel;

        internal Subscription(EventBus bus, Channel<StoredEvent> channel)
        {
            _bus = bus;
            _channel = channel;
        }

        public ChannelReader<StoredEvent> Reader => _channel.Reader;

        public void Dispose() => _bus.Unsubscribe(_channel);
    }
}
