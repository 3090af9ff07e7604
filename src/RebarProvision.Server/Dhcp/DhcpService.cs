using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RebarProvision.Dhcp;
using RebarProvision.Model;
using RebarProvision.Store;

namespace RebarProvision.Server.Dhcp;

/// <summary>
/// The DHCP listener (DESIGN §2): a socket per configured interface on port 67 (and the PXE boot server port),
/// receive loops that hand datagrams to a bounded channel, and workers that answer them through
/// <see cref="DhcpResponder"/>. Malformed or excess datagrams are dropped and counted, never fatal.
/// Sockets are opened in <see cref="StartAsync"/>, in the caller's network namespace.
/// </summary>
public sealed class DhcpService : BackgroundService
{
    /// <summary>Datagrams above this are not DHCP (RFC 2131 §2 bounds messages by the link MTU) and are dropped.</summary>
    public const int MaxDatagram = 1500;

    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A request older than this when a worker takes it is dropped: clients retransmit after about 4 s (RFC 2131
    /// §4.1), so under overload answering fresh requests beats answering ones the client has given up on.
    /// </summary>
    private static readonly TimeSpan MaxQueueAge = TimeSpan.FromSeconds(1);

    private readonly IStore _store;
    private readonly DhcpServiceOptions _options;
    private readonly ILogger<DhcpService> _logger;
    private readonly TimeProvider _time;
    private readonly DhcpResponder _responder;
    private readonly Channel<Received> _queue;
    private readonly List<DhcpListener> _listeners = [];
    private uint _advertise;

    public DhcpService(IStore store, IOptions<DhcpServiceOptions> options, ILogger<DhcpService> logger, TimeProvider? timeProvider = null)
    {
        _store = store;
        _options = options.Value;
        _logger = logger;
        _time = timeProvider ?? TimeProvider.System;
        Metrics = new DhcpMetrics();
        _responder = new DhcpResponder(store, _options, Metrics, _time, logger);
        _queue = Channel.CreateBounded<Received>(new BoundedChannelOptions(Math.Max(1, _options.QueueLength))
        {
            SingleReader = false,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public DhcpMetrics Metrics { get; }

    public DhcpResponder Responder => _responder;

    /// <summary>The (interface, port) pairs listened on, once started.</summary>
    public IReadOnlyList<(string Interface, int Port)> Endpoints => _listeners.Select(l => (l.InterfaceName, l.Port)).ToList();

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var problems = _options.Validate().ToList();
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(string.Join("; ", problems));
        }
        if (_options.Interfaces.Count == 0)
        {
            _logger.LogInformation("DHCP is off (no Dhcp:Interfaces)");
            return Task.CompletedTask;
        }
        _advertise = _options.AdvertiseAddress is not null && DhcpOptionDefinition.TryParseAddress(_options.AdvertiseAddress, out var advertise) ? advertise : 0;
        try
        {
            foreach (var name in _options.Interfaces)
            {
                var listener = DhcpListener.Open(name, _options.Port);
                _listeners.Add(listener);
                if (listener.InterfaceAddress == 0 && _advertise == 0)
                {
                    throw new InvalidOperationException($"DHCP: interface {name} has no IPv4 address and Dhcp:AdvertiseAddress is not set");
                }
                if (_options.ProxyPort > 0)
                {
                    _listeners.Add(DhcpListener.Open(name, _options.ProxyPort));
                }
            }
        }
        catch
        {
            CloseListeners();
            throw;
        }
        // Store calls may block their thread (SQLite is synchronous underneath); keep enough pool threads ready that
        // the receive loops never wait for the pool to grow.
        ThreadPool.GetMinThreads(out var minWorkers, out var minIo);
        var wanted = _options.Workers + _listeners.Count + Environment.ProcessorCount;
        if (minWorkers < wanted)
        {
            ThreadPool.SetMinThreads(wanted, minIo);
        }
        _logger.LogInformation("DHCP listening on {Endpoints}", string.Join(", ", _listeners.Select(l => $"{l.InterfaceName}:{l.Port}")));
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        CloseListeners();
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_listeners.Count == 0)
        {
            return;
        }
        var tasks = new List<Task>();
        tasks.AddRange(_listeners.Select(l => Task.Run(() => ReceiveAsync(l, stoppingToken), CancellationToken.None)));
        tasks.AddRange(Enumerable.Range(0, Math.Max(1, _options.Workers)).Select(_ => Task.Run(() => WorkAsync(stoppingToken), CancellationToken.None)));
        tasks.Add(SweepAsync(stoppingToken));
        await Task.WhenAll(tasks);
    }

    public override void Dispose()
    {
        CloseListeners();
        Metrics.Dispose();
        base.Dispose();
    }

    private async Task ReceiveAsync(DhcpListener listener, CancellationToken stoppingToken)
    {
        // One receive buffer per socket, larger than any datagram we accept, so oversized ones are seen whole and counted.
        var buffer = new byte[65536];
        var from = new SocketAddress(AddressFamily.InterNetwork);
        while (!stoppingToken.IsCancellationRequested)
        {
            int length;
            try
            {
                length = await listener.Socket.ReceiveFromAsync(buffer, SocketFlags.None, from, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException e)
            {
                Metrics.Drop("receive-error");
                _logger.LogDebug("DHCP: receive on {Interface} failed: {Error}", listener.InterfaceName, e.SocketErrorCode);
                continue;
            }
            Metrics.Receive();
            if (length > MaxDatagram)
            {
                Metrics.Drop("oversized");
                continue;
            }
            var copy = ArrayPool<byte>.Shared.Rent(length);
            buffer.AsSpan(0, length).CopyTo(copy);
            // sockaddr_in: family (2 bytes), port and address in network order.
            var senderPort = (from[2] << 8) | from[3];
            var senderAddress = (uint)((from[4] << 24) | (from[5] << 16) | (from[6] << 8) | from[7]);
            if (!_queue.Writer.TryWrite(new Received(listener, copy, length, senderAddress, senderPort, _time.GetTimestamp())))
            {
                ArrayPool<byte>.Shared.Return(copy);
                Metrics.Drop("queue-full");
            }
        }
    }

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        var output = new byte[MaxDatagram];
        try
        {
            await foreach (var item in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await HandleAsync(item, output, stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception e)
                {
                    Metrics.Packet("any", "error");
                    _logger.LogError(e, "DHCP: answering a request on {Interface} failed", item.Listener.InterfaceName);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(item.Buffer);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task HandleAsync(Received item, byte[] output, CancellationToken stoppingToken)
    {
        if (_time.GetElapsedTime(item.ReceivedAt) > MaxQueueAge)
        {
            Metrics.Drop("stale");
            return;
        }
        if (!DhcpMessage.TryParse(item.Buffer.AsSpan(0, item.Length), out var request, out var error))
        {
            Metrics.Drop(error.ToString());
            _logger.LogDebug("DHCP: dropped a malformed datagram from {Sender}: {Error}", Ipv4Network.Format(item.SenderAddress), error);
            return;
        }
        var listener = item.Listener;
        var context = new DhcpReceiveContext(
            listener.InterfaceAddress,
            _advertise != 0 ? _advertise : listener.InterfaceAddress,
            ProxyPort: listener.Port == _options.ProxyPort && _options.ProxyPort != _options.Port,
            item.SenderAddress,
            item.SenderPort);
        var reply = await _responder.RespondAsync(request, context, stoppingToken);
        if (reply is null)
        {
            return;
        }
        if (!reply.Message.TryWrite(output, Math.Min(DhcpMessage.MaxReplyLength(request), output.Length), out var written))
        {
            Metrics.Packet("reply", "too-large");
            _logger.LogWarning("DHCP: the reply to {Mac} does not fit its maximum message size; not sent", request.ClientMac);
            return;
        }
        var destination = new IPEndPoint(Ipv4Network.ToAddress(reply.Address), reply.Port).Serialize();
        try
        {
            await listener.Socket.SendToAsync(output.AsMemory(0, written), SocketFlags.None, destination, stoppingToken);
        }
        catch (SocketException e)
        {
            Metrics.Packet("reply", "send-error");
            _logger.LogDebug("DHCP: sending to {Destination} failed: {Error}", Ipv4Network.Format(reply.Address), e.SocketErrorCode);
        }
    }

    /// <summary>Marks leases past their expiry as expired, so lists and pickers see them as free.</summary>
    private async Task SweepAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(SweepInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    var expired = await _store.Leases.ExpireAsync(_time.GetUtcNow(), stoppingToken);
                    if (expired > 0)
                    {
                        _logger.LogDebug("DHCP: {Count} leases expired", expired);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _logger.LogWarning(e, "DHCP: the lease expiry sweep failed; retrying in {Interval}", SweepInterval);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void CloseListeners()
    {
        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }
    }

    private sealed record Received(DhcpListener Listener, byte[] Buffer, int Length, uint SenderAddress, int SenderPort, long ReceivedAt);
}
