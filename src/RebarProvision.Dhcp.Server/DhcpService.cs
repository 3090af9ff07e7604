using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RebarProvision.Model;
using RebarProvision.Store;

namespace RebarProvision.Dhcp.Server;

/// <summary>
/// The DHCP listener (DESIGN §2): a socket per configured interface on port 67 (and the PXE boot server port), and
/// threads blocked in a synchronous receive on each. A receiving thread parses the datagram and asks
/// <see cref="DhcpResponder"/>; when the store answers at once (SQLite reads, an idle SQLite writer) the thread sends
/// the reply itself, and otherwise the reply goes out from the store call's continuation while the thread receives
/// the next datagram. No queue or worker stands between socket and responder: at thousands of packets per second on
/// a few cores, the thread hand-offs such a queue costs were most of the server's CPU. Malformed or excess datagrams
/// are dropped and counted, never fatal. Sockets are opened in <see cref="StartAsync"/>, in the caller's network
/// namespace, and only synchronous socket calls are made on them (one asynchronous call would switch .NET's socket
/// to non-blocking mode for good).
/// </summary>
public sealed class DhcpService : BackgroundService
{
    /// <summary>Datagrams above this are not DHCP (RFC 2131 §2 bounds messages by the link MTU) and are dropped.</summary>
    public const int MaxDatagram = 1500;

    /// <summary>How long stopping waits for replies whose store calls are still in flight.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private readonly IStore _store;
    private readonly DhcpServiceOptions _options;
    private readonly ILogger<DhcpService> _logger;
    private readonly TimeProvider _time;
    private readonly DhcpResponder _responder;
    private readonly DhcpMetrics _metrics;
    private readonly StoreOutageLog _outages;
    private readonly List<DhcpListener> _listeners = [];
    private readonly List<Thread> _receivers = [];
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Set once stopping has begun and no reply waits on the store any more.</summary>
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    [ThreadStatic]
    private static SocketAddress? t_destination;

    private uint _advertise;
    private int _pending;
    private volatile bool _closing;

    public DhcpService(IStore store, DhcpResponder responder, DhcpMetrics metrics, DhcpServiceOptions options, ILogger<DhcpService> logger, TimeProvider time)
    {
        _store = store;
        _responder = responder;
        _metrics = metrics;
        _options = options;
        _logger = logger;
        _time = time;
        _outages = new StoreOutageLog(logger, time);
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var problems = _options.Validate().ToList();
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(string.Join("; ", problems));
        }
        if (_options.Interfaces.Count == 0)
        {
            _logger.LogInformation("DHCP is off (no Dhcp:Interfaces)");
            return;
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
        // After the sockets are open (synchronously, so in the caller's network namespace, whatever thread the awaits
        // below continue on): datagrams that come in meanwhile wait in the socket buffers.
        if (_options.WarmUp)
        {
            try
            {
                await DhcpWarmUp.RunAsync(_options, Path.GetTempPath(), _logger, cancellationToken);
                await DhcpWarmUp.ReadStoreAsync(_store, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                CloseListeners();
                throw;
            }
#pragma warning disable CA1031 // Only the first packets' speed depends on the warm-up: whatever fails in it, serve without it.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _logger.LogWarning(e, "DHCP: the warm-up failed; serving without it");
            }
        }
        // The receive threads start here, not in ExecuteAsync: .NET runs ExecuteAsync on the thread pool, where a
        // StopAsync right after start could find the thread list half filled.
        foreach (var listener in _listeners)
        {
            for (var i = 0; i < _options.ReceiveThreads; i++)
            {
                var receiver = new Thread(() => Receive(listener, _stopping.Token))
                {
                    IsBackground = true,
                    Name = $"dhcp {listener.InterfaceName}:{listener.Port}",
                };
                _receivers.Add(receiver);
                receiver.Start();
            }
        }
        _logger.LogInformation("DHCP listening on {Endpoints}", string.Join(", ", _listeners.Select(l => $"{l.InterfaceName}:{l.Port}")));
        await base.StartAsync(cancellationToken);
    }

    /// <summary>
    /// Closes the sockets (which wakes the receive threads), then waits for replies still waiting on the store, so the
    /// store is not closed under them; those replies are not sent any more (the socket is gone), and the clients ask
    /// again.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _closing = true;
        CloseListeners();
        foreach (var receiver in _receivers)
        {
            receiver.Join(DrainTimeout);
        }
        // No receive thread adds a pending reply any more; the last one to finish (or this check) ends the wait.
        if (Volatile.Read(ref _pending) == 0)
        {
            _drained.TrySetResult();
        }
        try
        {
            await _drained.Task.WaitAsync(DrainTimeout, _time, cancellationToken);
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("DHCP: {Count} replies still wait on the store after {Timeout}; not sent", Volatile.Read(ref _pending), DrainTimeout);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        await _stopping.CancelAsync();
        await base.StopAsync(cancellationToken);
    }

    /// <summary>
    /// The receive threads answer; this loop only writes, once a second, renewals answered from memory during a store
    /// outage (see <see cref="LeaseMemory"/>). The lease expiry sweep is the host's: singleton work in a cluster.
    /// </summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_listeners.Count == 0)
        {
            return;
        }
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await _responder.WriteRenewalsAsync(stoppingToken);
                }
                catch (StoreUnavailableException)
                {
                    // Still out: the renewals wait for the next tick; the receive loop reports the outage.
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public override void Dispose()
    {
        _closing = true;
        _stopping.Cancel();
        CloseListeners();
        _stopping.Dispose();
        base.Dispose();
    }

    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "The receive loop: a bug met answering one datagram is counted and logged, and the loop goes on.")]
    private void Receive(DhcpListener listener, CancellationToken stoppingToken)
    {
        // One receive buffer per thread, larger than any datagram we accept, so oversized ones are seen whole and counted.
        var buffer = new byte[65536];
        var output = new byte[MaxDatagram];
        var from = new SocketAddress(AddressFamily.InterNetwork);
        while (!_closing)
        {
            int length;
            try
            {
                length = listener.Socket.ReceiveFrom(buffer, SocketFlags.None, from);
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException e)
            {
                if (_closing)
                {
                    break;
                }
                _metrics.Drop(DhcpOutcome.ReceiveError);
                _logger.LogDebug("DHCP: receive on {Interface} failed: {Error}", listener.InterfaceName, e.SocketErrorCode);
                continue;
            }
            if (length > MaxDatagram)
            {
                _metrics.Drop(DhcpOutcome.Oversized);
                continue;
            }
            // sockaddr_in: family (2 bytes), port and address in network order.
            var senderPort = (from[2] << 8) | from[3];
            var senderAddress = (uint)((from[4] << 24) | (from[5] << 16) | (from[6] << 8) | from[7]);
            try
            {
                Handle(listener, buffer.AsSpan(0, length), senderAddress, senderPort, output, stoppingToken);
            }
            catch (Exception e)
            {
                // A bug in sending: this datagram is lost, the loop is not.
                _metrics.Drop(DhcpOutcome.Error);
                _logger.LogError(e, "DHCP: answering a request on {Interface} failed", listener.InterfaceName);
            }
        }
    }

    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "Per datagram: what the responder throws is counted and reported by Failed, never the end of the receive loop.")]
    private void Handle(DhcpListener listener, ReadOnlySpan<byte> datagram, uint senderAddress, int senderPort, byte[] output, CancellationToken stoppingToken)
    {
        if (!DhcpMessage.TryParse(datagram, out var request, out var error))
        {
            _metrics.Drop(DhcpOutcome.Malformed);
            _logger.LogDebug("DHCP: dropped a malformed datagram from {Sender}: {Error}", Ipv4Network.Format(senderAddress), error);
            return;
        }
        if (Volatile.Read(ref _pending) >= _options.MaxPending)
        {
            _metrics.Drop(DhcpOutcome.Overloaded);
            return;
        }
        var context = new DhcpReceiveContext(
            listener.InterfaceAddress,
            _advertise != 0 ? _advertise : listener.InterfaceAddress,
            ProxyPort: listener.Port == _options.ProxyPort && _options.ProxyPort != _options.Port,
            senderAddress,
            senderPort);
        ValueTask<DhcpReply?> answer;
        try
        {
            answer = _responder.RespondAsync(request, context, stoppingToken);
        }
        catch (Exception e)
        {
            Failed(listener, request, e);
            return;
        }
        if (answer.IsCompletedSuccessfully)
        {
            Send(listener, request, answer.Result, output);
            return;
        }
        Interlocked.Increment(ref _pending);
        _ = FinishAsync(listener, request, answer, stoppingToken);
    }

    /// <summary>The reply of a request whose store call did not answer at once, sent when it does.</summary>
    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "Per datagram: nothing awaits this task, so what the store call threw is counted and reported by Failed here.")]
    private async Task FinishAsync(DhcpListener listener, DhcpMessage request, ValueTask<DhcpReply?> answer, CancellationToken stoppingToken)
    {
        var output = ArrayPool<byte>.Shared.Rent(MaxDatagram);
        try
        {
            Send(listener, request, await answer, output);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Failed(listener, request, e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(output);
            if (Interlocked.Decrement(ref _pending) == 0 && _closing)
            {
                _drained.TrySetResult();
            }
        }
    }

    /// <summary>
    /// A request the responder could not answer: a store outage is counted and reported once a second (every datagram
    /// meets it), anything else is a bug, logged with its stack trace. The receive loop goes on either way.
    /// </summary>
    private void Failed(DhcpListener listener, DhcpMessage request, Exception e)
    {
        if (e is StoreUnavailableException outage)
        {
            _metrics.Packet(request.MessageType, DhcpOutcome.StoreUnavailable);
            _outages.Record(outage);
            return;
        }
        _metrics.Packet(request.MessageType, DhcpOutcome.Error);
        _logger.LogError(e, "DHCP: answering a {Type} from {Mac} on {Interface} failed", request.MessageType, request.ClientMac, listener.InterfaceName);
    }

    private void Send(DhcpListener listener, DhcpMessage request, DhcpReply? reply, byte[] output)
    {
        if (reply is null)
        {
            return;
        }
        if (!reply.Message.TryWrite(output, Math.Min(DhcpMessage.MaxReplyLength(request), MaxDatagram), out var written))
        {
            _metrics.Packet(request.MessageType, DhcpOutcome.TooLarge);
            _logger.LogWarning("DHCP: the reply to {Mac} does not fit its maximum message size; not sent", request.ClientMac);
            return;
        }
        // sockaddr_in, written in place rather than four objects per reply (IPAddress, IPEndPoint, its serialised copy
        // and that copy's buffer). One per thread: SendTo is synchronous, so no send can see another's destination.
        var destination = t_destination ??= new SocketAddress(AddressFamily.InterNetwork);
        destination[2] = (byte)(reply.Port >> 8);
        destination[3] = (byte)reply.Port;
        destination[4] = (byte)(reply.Address >> 24);
        destination[5] = (byte)(reply.Address >> 16);
        destination[6] = (byte)(reply.Address >> 8);
        destination[7] = (byte)reply.Address;
        try
        {
            listener.Socket.SendTo(output.AsSpan(0, written), SocketFlags.None, destination);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            _metrics.Packet(request.MessageType, DhcpOutcome.SendError);
            _logger.LogDebug("DHCP: sending to {Destination} failed: {Error}", Ipv4Network.Format(reply.Address), e.Message);
        }
    }

    private void CloseListeners()
    {
        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }
    }
}
