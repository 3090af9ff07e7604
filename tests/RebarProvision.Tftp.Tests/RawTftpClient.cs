using System.Net;
using System.Net.Sockets;

namespace RebarProvision.Tftp.Tests;

/// <summary>A hand-driven client for what real clients will not do: malformed requests, never ACKing.</summary>
public sealed class RawTftpClient(Socket socket, IPEndPoint server) : IDisposable
{
    private readonly byte[] _buffer = new byte[70_000];

    public IPEndPoint? TransferEndpoint { get; private set; }

    public void SendRequest(TftpRequest request)
    {
        var bytes = new byte[TftpPacketWriter.GetLength(request)];
        TftpPacketWriter.TryWrite(request, bytes, out _);
        SendRaw(bytes);
    }

    public void SendRaw(byte[] bytes) => socket.SendTo(bytes, server);

    public void SendToTransfer(byte[] bytes) => socket.SendTo(bytes, TransferEndpoint!);

    public void Ack(ushort block)
    {
        var bytes = new byte[4];
        TftpPacketWriter.WriteAck(bytes, block);
        socket.SendTo(bytes, TransferEndpoint!);
    }

    /// <summary>The next packet, or null when none comes within <paramref name="timeout"/>.</summary>
    public async Task<TftpPacket?> ReceiveAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            var result = await socket.ReceiveFromAsync(_buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cts.Token);
            TransferEndpoint = (IPEndPoint)result.RemoteEndPoint;
            return TftpPacketReader.TryParse(_buffer.AsSpan(0, result.ReceivedBytes), out var packet, out _) ? packet : null;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public void Dispose() => socket.Dispose();
}
