using System.Net;
using System.Net.Sockets;

namespace RebarProvision.Testing.Ha;

/// <summary>
/// A DHCP relay's forwarding half, as routers do it with several helper addresses: every datagram that reaches
/// port 67 on the relay address goes on, unchanged, to each server. The requests already carry the load generator's
/// giaddr (perfdhcp acts as a relay agent itself), so the servers answer it directly, as RFC 2131 §4.1 says.
/// </summary>
public sealed class ForwardingRelay : IDisposable
{
    private readonly Socket _socket;
    private readonly Thread _thread;
    private readonly IPEndPoint[] _servers;

    public ForwardingRelay(NetworkNamespace hub, string address, params string[] servers)
    {
        _servers = [.. servers.Select(s => new IPEndPoint(IPAddress.Parse(s), 67))];
        _socket = hub.Enter(() =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Parse(address), 67));
            return socket;
        });
        _thread = new Thread(Forward) { IsBackground = true, Name = "relay" };
        _thread.Start();
    }

    /// <summary>Datagrams forwarded (each counted once, however many servers it went to).</summary>
    public long Forwarded => Interlocked.Read(ref _forwarded);

    private long _forwarded;

    private void Forward()
    {
        var buffer = new byte[2048];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        while (true)
        {
            int length;
            try
            {
                length = _socket.ReceiveFrom(buffer, ref from);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            foreach (var server in _servers)
            {
                try
                {
                    _socket.SendTo(buffer.AsSpan(0, length), SocketFlags.None, server);
                }
                catch (SocketException)
                {
                    // A dead node's address may answer with ICMP unreachable; the relay forwards on regardless.
                }
            }
            Interlocked.Increment(ref _forwarded);
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        _thread.Join(TimeSpan.FromSeconds(5));
    }
}
