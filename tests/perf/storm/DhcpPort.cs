using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using RebarProvision.Dhcp;

namespace RebarProvision.Storm.Perf;

/// <summary>
/// UDP port 68 on the client interface, shared by every simulated machine: requests go out as broadcasts to
/// 255.255.255.255:67 with the broadcast flag set (RFC 2131 §4.1: the client has no address yet, so servers broadcast
/// their answers back), and answers are handed to the machine waiting on that transaction id.
/// </summary>
internal sealed class DhcpPort : IDisposable
{
    private const int SolSocket = 1;
    private const int SoBindToDevice = 25;
    private static readonly IPEndPoint Servers = new(IPAddress.Broadcast, 67);

    private readonly Socket _socket;
    private readonly ConcurrentDictionary<uint, Waiter> _waiting = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _receiving;

    public DhcpPort(string interfaceName)
    {
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { EnableBroadcast = true, ReceiveBufferSize = 8 << 20 };
        _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _socket.SetRawSocketOption(SolSocket, SoBindToDevice, Encoding.ASCII.GetBytes(interfaceName + "\0"));
        _socket.Bind(new IPEndPoint(IPAddress.Any, 68));
        _receiving = Task.Run(ReceiveAsync);
    }

    /// <summary>Answers that matched no waiting transaction (late duplicates after a retransmission, other clients').</summary>
    public long Unmatched => Interlocked.Read(ref _unmatched);

    private long _unmatched;

    /// <summary>
    /// Sends <paramref name="request"/> and waits for a reply to its transaction id, re-sending after
    /// <paramref name="firstTimeout"/>, then about twice that, and so on (RFC 2131 §4.1's doubling; PXE firmware waits
    /// 4, 8, 16, 32 s) until <paramref name="attempts"/> sends went unanswered.
    /// </summary>
    /// <param name="answers">The reply types that answer this request (an OFFER for a DISCOVER; ACK or NAK for a
    /// REQUEST): a late OFFER to a re-sent DISCOVER carries the same transaction id as the REQUEST that follows it.</param>
    public async Task<DhcpMessage> ExchangeAsync(DhcpMessage request, DhcpMessageType[] answers, TimeSpan firstTimeout, int attempts, Action retried, CancellationToken cancellationToken)
    {
        var buffer = new byte[DhcpMessage.DefaultMaxLength];
        if (!request.TryWrite(buffer, buffer.Length, out var length))
        {
            throw new InvalidOperationException("request does not fit in 548 bytes");
        }
        var timeout = firstTimeout;
        for (var attempt = 1; ; attempt++)
        {
            var reply = new Waiter(answers, new TaskCompletionSource<DhcpMessage>(TaskCreationOptions.RunContinuationsAsynchronously));
            _waiting[request.TransactionId] = reply;
            try
            {
                await _socket.SendToAsync(buffer.AsMemory(0, length), SocketFlags.None, Servers, cancellationToken);
                return await reply.Reply.Task.WaitAsync(timeout, cancellationToken);
            }
            catch (TimeoutException) when (attempt < attempts)
            {
                retried();
                // RFC 2131 §4.1: the doubled delay is randomized by ±1 s, so clients that lost their first packet
                // together do not all retransmit in the same instant again.
                timeout = firstTimeout * (1 << attempt) + TimeSpan.FromSeconds(Random.Shared.NextDouble() * 2 - 1);
            }
            finally
            {
                _waiting.TryRemove(new KeyValuePair<uint, Waiter>(request.TransactionId, reply));
            }
        }
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[2048];
        var from = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, from, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            if (DhcpMessage.TryParse(buffer.AsSpan(0, received.ReceivedBytes), out var message, out _)
                && message.Operation == DhcpOperation.BootReply
                && _waiting.TryGetValue(message.TransactionId, out var waiter)
                && waiter.Answers.Contains(message.MessageType))
            {
                waiter.Reply.TrySetResult(message);
            }
            else
            {
                Interlocked.Increment(ref _unmatched);
            }
        }
    }

    private sealed record Waiter(DhcpMessageType[] Answers, TaskCompletionSource<DhcpMessage> Reply);

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        try
        {
            _receiving.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
        }
        _stop.Dispose();
    }
}
