using System.Threading.Channels;
using RebarProvision.Model;
using RebarProvision.Server.Objects;
using RebarProvision.Store;
using RebarProvision.Store.Postgres;

namespace RebarProvision.Server.Cluster;

/// <summary>
/// Keeps this node's <see cref="ObjectCache"/> coherent with the other nodes' writes (DESIGN §7). Every object write
/// NOTIFYs "kind:key:revision"; for each one newer than the cached copy the object is read back from the store and
/// applied (or forgotten when it is gone). A revoked token, a new machine or a changed bootenv is thus seen
/// everywhere within the notification's round trip. Changes made while nobody listened (before the first
/// connection, during a lost one) are caught by a full resync, as is a change whose read failed.
/// </summary>
public sealed class ObjectChangeFeed : IHostedService, IDisposable
{
    private static readonly TimeSpan FirstConnection = TimeSpan.FromSeconds(10);

    private readonly PostgresChangeListener _listener;
    private readonly IStore _store;
    private readonly ObjectCache _cache;
    private readonly ILogger _logger;
    private readonly Channel<ObjectChange> _changes = Channel.CreateUnbounded<ObjectChange>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _cacheLoading;
    private volatile bool _resync;
    private Task? _listening;
    private Task? _applying;

    public ObjectChangeFeed(PostgresChangeListener listener, IStore store, ObjectCache cache, ILogger<ObjectChangeFeed> logger)
    {
        _listener = listener;
        _store = store;
        _cache = cache;
        _logger = logger;
    }

    /// <summary>
    /// Starts listening, before the cache is loaded so that no write falls between the load and the LISTEN; returns
    /// once the first LISTEN is in place (or after a while without one: the resync on connecting covers it).
    /// Changes are queued until <see cref="StartAsync"/>, after the load.
    /// </summary>
    public async Task ListenBeforeLoadAsync(CancellationToken cancellationToken)
    {
        _listening = _listener.ListenAsync(_changes.Writer, OnConnected, OnDisconnected, _stopping.Token);
        await Task.WhenAny(_connected.Task, Task.Delay(FirstConnection, cancellationToken));
        _cacheLoading = true;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _applying = Task.Run(() => ApplyAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        foreach (var task in new[] { _listening, _applying })
        {
            if (task is not null)
            {
                await task.WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    public void Dispose() => _stopping.Dispose();

    private Task OnConnected(int connection, CancellationToken cancellationToken)
    {
        _connected.TrySetResult();
        if (_cacheLoading || connection > 1)
        {
            // Writes committed while this node was not listening were never announced to it.
            _resync = true;
            _logger.LogInformation("Listening for object changes again (connection {Connection}); resynchronising the cache", connection);
        }
        return Task.CompletedTask;
    }

    private void OnDisconnected(Exception error) =>
        _logger.LogWarning("Lost the object change feed ({Message}); reconnecting, then resynchronising the cache", error.Message);

    private async Task ApplyAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (_resync)
                {
                    _resync = false;
                    await ResyncAsync(cancellationToken);
                }
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                wait.CancelAfter(LiveNodes.HeartbeatInterval);
                while (await _changes.Reader.WaitToReadAsync(wait.Token))
                {
                    while (_changes.Reader.TryRead(out var change))
                    {
                        await ApplyAsync(change, cancellationToken);
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // No change for a second: look at the resync flag again.
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is StoreUnavailableException || _store.IsTransient(e))
            {
                _resync = true;
                _logger.LogWarning("Could not read a changed object ({Message}); resynchronising the cache when the store answers", e.Message);
                await Task.Delay(LiveNodes.HeartbeatInterval, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task ApplyAsync(ObjectChange change, CancellationToken cancellationToken)
    {
        if (ObjectKind.Find(change.Kind) is not { } kind || _cache.Find(kind, change.Key)?.Revision >= change.Revision)
        {
            // This node's own write (applied when it was made), or an older change overtaken by a newer one.
            return;
        }
        if (await _store.Objects.GetAsync(kind, change.Key, cancellationToken) is { } current)
        {
            _cache.Apply(current);
        }
        else
        {
            _cache.Forget(kind, change.Key, change.Revision);
        }
    }

    /// <summary>Reads every object again; cached ones the store no longer lists are checked once more, then forgotten.</summary>
    private async Task ResyncAsync(CancellationToken cancellationToken)
    {
        var applied = 0;
        var forgotten = 0;
        foreach (var kind in ObjectKind.Documents)
        {
            var stored = await _store.Objects.ListAsync(kind, cancellationToken);
            var keys = new HashSet<string>(StringComparer.Ordinal);
            foreach (var value in stored)
            {
                keys.Add(value.Key);
                if (_cache.Find(kind, value.Key)?.Revision != value.Revision)
                {
                    _cache.Apply(value);
                    applied++;
                }
            }
            foreach (var cached in _cache.All(kind).Where(c => !keys.Contains(c.Key)).ToList())
            {
                // It may have been written here after the list was read.
                if (await _store.Objects.GetAsync(kind, cached.Key, cancellationToken) is null)
                {
                    _cache.Forget(kind, cached.Key, cached.Revision + 1);
                    forgotten++;
                }
            }
        }
        _logger.LogInformation("Cache resynchronised: {Applied} objects changed, {Forgotten} gone", applied, forgotten);
    }
}
