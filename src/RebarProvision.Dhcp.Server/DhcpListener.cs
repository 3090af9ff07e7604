using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;

namespace RebarProvision.Dhcp.Server;

/// <summary>One UDP socket bound to 0.0.0.0:port on one interface (SO_BINDTODEVICE), with that interface's address.</summary>
internal sealed class DhcpListener : IDisposable
{
    private const int SolSocket = 1;
    private const int SoBindToDevice = 25;
    private const int SoRcvBufForce = 33;
    private const int ReceiveBuffer = 4 << 20;

    private DhcpListener(Socket socket, string interfaceName, uint interfaceAddress, int port)
    {
        Socket = socket;
        InterfaceName = interfaceName;
        InterfaceAddress = interfaceAddress;
        Port = port;
    }

    public Socket Socket { get; }

    public string InterfaceName { get; }

    public uint InterfaceAddress { get; }

    public int Port { get; }

    /// <summary>
    /// Opens the socket in the calling thread's network namespace, which is also where the interface is looked up.
    /// </summary>
    public static DhcpListener Open(string interfaceName, int port)
    {
        var nic = NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.Name == interfaceName)
            ?? throw new InvalidOperationException($"DHCP: interface '{interfaceName}' does not exist (Dhcp:Interfaces)");
        var address = nic.GetIPProperties().UnicastAddresses
            .Select(u => u.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork);
        var interfaceAddress = address is not null && Model.Ipv4Network.TryToUInt(address, out var value) ? value : 0;
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.EnableBroadcast = true;
            SetReceiveBuffer(socket);
            // A socket per interface: replies (broadcasts above all) leave by the interface the request came in on.
            socket.SetRawSocketOption(SolSocket, SoBindToDevice, Encoding.ASCII.GetBytes(interfaceName + "\0"));
            socket.Bind(new IPEndPoint(IPAddress.Any, port));
        }
        catch (SocketException e)
        {
            socket.Dispose();
            if (e.SocketErrorCode is SocketError.AccessDenied || (e.SocketErrorCode == SocketError.SocketError && port < 1024))
            {
                throw new InvalidOperationException(
                    $"DHCP: binding UDP port {port} on {interfaceName} was refused: ports below 1024 need root or CAP_NET_BIND_SERVICE, and binding to an interface needs CAP_NET_RAW ({e.Message})", e);
            }
            throw new InvalidOperationException($"DHCP: cannot listen on UDP port {port} on {interfaceName}: {e.Message}", e);
        }
        return new DhcpListener(socket, interfaceName, interfaceAddress, port);
    }

    /// <summary>
    /// A burst of DISCOVERs (a rack powering on) must wait in the kernel rather than be lost: ask for a large buffer,
    /// beyond net.core.rmem_max when privileged (SO_RCVBUFFORCE), else what the system allows.
    /// </summary>
    private static void SetReceiveBuffer(Socket socket)
    {
        try
        {
            socket.SetRawSocketOption(SolSocket, SoRcvBufForce, BitConverter.GetBytes(ReceiveBuffer));
        }
        catch (SocketException)
        {
            socket.ReceiveBufferSize = ReceiveBuffer;
        }
    }

    public void Dispose() => Socket.Dispose();
}
