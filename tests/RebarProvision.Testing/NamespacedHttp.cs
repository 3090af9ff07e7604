using System.Net.Sockets;

namespace RebarProvision.Testing;

/// <summary>An HttpClient whose connections are opened inside a namespace, to reach a server that lives there.</summary>
public static class NamespacedHttp
{
    public static HttpClient Create(NetworkNamespace ns, string baseAddress) =>
        new(new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = ns.Enter(() => new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true });
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        })
        {
            BaseAddress = new Uri(baseAddress),
            Timeout = TimeSpan.FromSeconds(30),
        };
}
