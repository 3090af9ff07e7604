using System.Buffers;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace RebarProvision.Tftp.Transport;

/// <summary>
/// A read-only TFTP server: one listening socket receives requests, each transfer runs asynchronously from its own
/// ephemeral socket (RFC 1350 §4), so a slow or vanished client costs a timer, not a thread.
/// Call <see cref="Start"/> to bind (it throws if the port is taken), then <see cref="RunAsync"/> to serve.
/// </summary>
/// <remarks>
/// A lock-step transfer (no windowsize) spends most of its time waiting for each ACK, so the hop from .NET's epoll
/// thread to the thread pool per ACK is the bulk of its cost. Setting DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1
/// in the host's environment (before the first socket is made) runs these continuations inline and halves the CPU
/// per block; tests/perf/tftp/bench.sh measures with it. The continuation never blocks except on a file read.
/// </remarks>
public sealed class TftpServer : IAsyncDisposable
{
    /// <summary>Requests are small; a buffer this size holds any RRQ with its options.</summary>
    private const int RequestBufferSize = 2048;

    private readonly ITftpFileSource _files;
    private readonly TftpServerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TftpMetrics _metrics;
    private readonly CancellationTokenSource _stopping = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<IPEndPoint, byte> _clients = new();
    private readonly Dictionary<IPAddress, int> _perAddress = [];
    private Socket? _listener;
    private int _activeTransfers;
    private TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="meters">The host's meter factory: it owns the "RebarProvision.Tftp" meter (a test's own factory gives it a meter no other test shares).</param>
    public TftpServer(ITftpFileSource files, TftpServerOptions options, ILogger<TftpServer> logger, TimeProvider time, IMeterFactory meters)
    {
        _files = files;
        _options = options;
        _logger = logger;
        _time = time;
        _metrics = new TftpMetrics(meters, () => Volatile.Read(ref _activeTransfers));
        _drained.SetResult();
    }

    /// <summary>The bound listening endpoint (the real port when 0 was configured).</summary>
    public IPEndPoint LocalEndpoint => (IPEndPoint)(_listener ?? throw new InvalidOperationException("the TFTP server is not started")).LocalEndPoint!;

    /// <summary>Transfers running now, requests being answered included.</summary>
    public int ActiveTransfers => Volatile.Read(ref _activeTransfers);

    public void Start()
    {
        if (_listener is not null)
        {
            return;
        }
        var socket = _options.SocketFactory(_options.Endpoint.AddressFamily);
        try
        {
            if (_options.Endpoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = true;
            }
            socket.Bind(_options.Endpoint);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AccessDenied)
        {
            socket.Dispose();
            throw new InvalidOperationException($"binding TFTP to {_options.Endpoint} needs root or CAP_NET_BIND_SERVICE", e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        _listener = socket;
        _logger.LogInformation("TFTP listening on {Endpoint}", LocalEndpoint);
    }

    /// <summary>Receives requests until <paramref name="cancellationToken"/> fires or the server is disposed.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Start();
        // Stopping the receive loop stops the transfers too: they all watch _stopping.
        using var registration = cancellationToken.Register(_stopping.Cancel);
        var linked = _stopping;
        var buffer = GC.AllocateUninitializedArray<byte>(RequestBufferSize, pinned: true);
        var address = new SocketAddress(_options.Endpoint.AddressFamily);
        var template = _options.Endpoint;
        while (!linked.IsCancellationRequested)
        {
            int length;
            try
            {
                length = await _listener!.ReceiveFromAsync(buffer, SocketFlags.None, address, linked.Token);
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
                // ICMP errors from earlier sends surface here on Linux; they concern no one request.
                _logger.LogDebug("TFTP receive failed: {Error}", e.SocketErrorCode);
                continue;
            }
            if (!TftpPacketReader.TryParse(buffer.AsSpan(0, length), out var packet, out var error))
            {
                _metrics.Error("malformed");
                _logger.LogDebug("TFTP dropped a malformed packet ({Reason}, {Length} bytes)", error, length);
                continue;
            }
            if (packet is not TftpRequest request)
            {
                _metrics.Error("unexpected");
                continue;
            }
            var client = (IPEndPoint)template.Create(address);
            if (!_clients.TryAdd(client, 0))
            {
                // A client repeats its RRQ when our first answer is slow; that transfer retransmits by itself, and a
                // second one to the same port would only double the traffic in a boot storm.
                _metrics.Error("duplicate_request");
                continue;
            }
            if (!TryEnterAddress(client.Address))
            {
                _metrics.Error("address_busy");
                _logger.LogDebug("TFTP dropped a request from {Client}: {Max} transfers running for its address", client, _options.MaxTransfersPerAddress);
                _clients.TryRemove(client, out _);
                continue;
            }
            if (!TryEnter())
            {
                _metrics.Error("busy");
                _logger.LogWarning("TFTP dropped a request from {Client}: {Max} transfers running", client, _options.MaxConcurrentTransfers);
                LeaveAddress(client.Address);
                _clients.TryRemove(client, out _);
                continue;
            }
            var requestLength = length;
            _ = Task.Run(() => ServeAsync(request, requestLength, client), CancellationToken.None);
        }
        await Task.WhenAny(_drained.Task, Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None));
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener?.Dispose();
        await Task.WhenAny(_drained.Task, Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None));
        _stopping.Dispose();
    }

    private bool TryEnter()
    {
        while (true)
        {
            var active = Volatile.Read(ref _activeTransfers);
            if (active >= _options.MaxConcurrentTransfers)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _activeTransfers, active + 1, active) == active)
            {
                if (active == 0)
                {
                    _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
                return true;
            }
        }
    }

    private bool TryEnterAddress(IPAddress address)
    {
        lock (_perAddress)
        {
            var running = _perAddress.GetValueOrDefault(address);
            if (running >= _options.MaxTransfersPerAddress)
            {
                return false;
            }
            _perAddress[address] = running + 1;
            return true;
        }
    }

    private void LeaveAddress(IPAddress address)
    {
        lock (_perAddress)
        {
            if (_perAddress[address] == 1)
            {
                _perAddress.Remove(address);
            }
            else
            {
                _perAddress[address]--;
            }
        }
    }

    private void Leave()
    {
        if (Interlocked.Decrement(ref _activeTransfers) == 0)
        {
            _drained.TrySetResult();
        }
    }

    private async Task ServeAsync(TftpRequest request, int requestLength, IPEndPoint client)
    {
        Socket? socket = null;
        try
        {
            socket = _options.SocketFactory(_options.Endpoint.AddressFamily);
            if (socket.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = true;
            }
            // RFC 1350 §4: the server answers from a new port (its TID); connecting filters out other senders.
            socket.Bind(new IPEndPoint(_options.Endpoint.Address, 0));
            socket.Connect(client);
            var outcome = await AnswerAsync(socket, request, requestLength, client);
            _metrics.Transfer(outcome);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            _metrics.Transfer("stopped");
        }
#pragma warning disable CA1031 // The transfer runs unawaited: whatever it throws (a file source's bug included) ends here, counted and logged once, never as an unobserved task exception.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _metrics.Transfer("failed");
            _logger.LogWarning(e, "TFTP transfer of {File} to {Client} failed", request.Filename, client);
            TrySendError(socket, TftpErrorCode.NotDefined, "transfer failed");
        }
        finally
        {
            socket?.Dispose();
            _clients.TryRemove(client, out _);
            LeaveAddress(client.Address);
            Leave();
        }
    }

    private async Task<string> AnswerAsync(Socket socket, TftpRequest request, int requestLength, IPEndPoint client)
    {
        if (request.IsWrite)
        {
            return Refuse(socket, client, "write", TftpErrorCode.IllegalOperation, "TFTP server is read-only");
        }
        if (request.Mode == TftpMode.Mail)
        {
            return Refuse(socket, client, "mail", TftpErrorCode.IllegalOperation, "mail mode is not supported");
        }
        var file = await _files.OpenAsync(request.Filename, client, _stopping.Token);
        try
        {
            if (file.IsError)
            {
                return Refuse(socket, client, request.Filename, file.ErrorCode, file.ErrorMessage);
            }
            if (request.Mode == TftpMode.NetAscii)
            {
                if (file.Length > _options.Limits.MaxNetAsciiFileSize)
                {
                    return Refuse(socket, client, request.Filename, TftpErrorCode.NotDefined,
                        $"netascii is limited to {_options.Limits.MaxNetAsciiFileSize} bytes; ask in octet mode");
                }
                var original = file;
#pragma warning disable CA2000 // `file` is disposed in the finally below, whichever result it holds by then.
                file = TftpFileResult.FromBytes(original.ReadNetAscii());
#pragma warning restore CA2000
                original.Dispose();
            }
            var negotiation = TftpNegotiation.Negotiate(request.Options, file.Length, _options.Limits);
            if (negotiation.IsRefused)
            {
                return Refuse(socket, client, request.Filename, TftpErrorCode.OptionNegotiationRefused, negotiation.Refusal!);
            }
            var policy = new TftpRetransmitPolicy(_options.MaxRetries, _options.Limits.MaxSilence, requestLength);
            using var session = new TftpTransferSession(socket, file, negotiation, policy, _time, _metrics, _stopping.Token);
            var outcome = await session.RunAsync();
            _logger.LogDebug("TFTP {File} to {Client}: {Outcome}", request.Filename, client, outcome);
            return outcome switch
            {
                TftpTransferOutcome.Completed => "completed",
                TftpTransferOutcome.TimedOut => "timeout",
                TftpTransferOutcome.ClientError => "client_error",
                TftpTransferOutcome.Unanswered => "unanswered",
                _ => "stopped",
            };
        }
        finally
        {
            file.Dispose();
        }
    }

    private string Refuse(Socket socket, IPEndPoint client, string what, TftpErrorCode code, string message)
    {
        SendError(socket, code, message);
        _metrics.Error(code switch
        {
            TftpErrorCode.FileNotFound => "file_not_found",
            TftpErrorCode.AccessViolation => "access_violation",
            TftpErrorCode.IllegalOperation => "illegal_operation",
            TftpErrorCode.OptionNegotiationRefused => "option_refused",
            _ => "refused",
        });
        _logger.LogInformation("TFTP refused {What} to {Client}: {Code} {Message}", what, client, code, message);
        return "refused";
    }

    private static void SendError(Socket socket, TftpErrorCode code, string message)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(TftpPacketWriter.GetLength(new TftpError(code, message)));
        try
        {
            socket.Send(buffer.AsSpan(0, TftpPacketWriter.WriteError(buffer, code, message)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>RFC 1350 §7: an ERROR ends the transfer for the client too, instead of leaving it to time out.</summary>
    private static void TrySendError(Socket? socket, TftpErrorCode code, string message)
    {
        if (socket is not { Connected: true })
        {
            return;
        }
        try
        {
            SendError(socket, code, message);
        }
        catch (SocketException)
        {
            // The client is gone; the failure is already counted and logged.
        }
    }
}
