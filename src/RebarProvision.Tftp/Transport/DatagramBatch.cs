using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace RebarProvision.Tftp.Transport;

/// <summary>
/// Sends a window of DATA packets laid out back to back in one buffer with a single sendmmsg(2) on Linux, instead of
/// one send per block (RFC 7440 windows are where the syscalls add up). Elsewhere, or for what sendmmsg leaves
/// unsent, it falls back to one <see cref="Socket.Send(ReadOnlySpan{byte})"/> per packet.
/// </summary>
internal static unsafe partial class DatagramBatch
{
    private const int MaxBatch = 64;

    private static bool _unavailable = !OperatingSystem.IsLinux();

    /// <summary>Sends packet i = buffer[i * stride .. i * stride + lengths[i]] for each i, on a connected socket.</summary>
    public static void Send(Socket socket, byte[] buffer, int stride, ReadOnlySpan<int> lengths)
    {
        var sent = 0;
        if (lengths.Length > 1 && !_unavailable)
        {
            sent = TrySendMany(socket, buffer, stride, lengths);
        }
        for (var i = sent; i < lengths.Length; i++)
        {
            socket.Send(buffer.AsSpan(i * stride, lengths[i]));
        }
    }

    private static int TrySendMany(Socket socket, byte[] buffer, int stride, ReadOnlySpan<int> lengths)
    {
        var count = Math.Min(lengths.Length, MaxBatch);
        var vectors = stackalloc IoVector[count];
        var messages = stackalloc MessageHeader[count];
        var success = false;
        socket.SafeHandle.DangerousAddRef(ref success);
        try
        {
            fixed (byte* start = buffer)
            {
                for (var i = 0; i < count; i++)
                {
                    vectors[i] = new IoVector { Base = start + i * stride, Length = (nuint)lengths[i] };
                    messages[i] = new MessageHeader { Vectors = &vectors[i], VectorCount = 1 };
                }
                var result = sendmmsg((int)socket.SafeHandle.DangerousGetHandle(), messages, (uint)count, 0);
                if (result < 0)
                {
                    // EAGAIN (send buffer full) and the like: the per-packet path waits properly. ENOSYS: never again.
                    if (Marshal.GetLastPInvokeError() == 38)
                    {
                        _unavailable = true;
                    }
                    return 0;
                }
                return result;
            }
        }
        catch (EntryPointNotFoundException)
        {
            _unavailable = true;
            return 0;
        }
        finally
        {
            if (success)
            {
                socket.SafeHandle.DangerousRelease();
            }
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVector
    {
        public byte* Base;
        public nuint Length;
    }

    /// <summary>struct mmsghdr: a struct msghdr followed by the byte count the kernel fills in.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public IoVector* Vectors;
        public nuint VectorCount;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
        private readonly int _flagsPadding;
        public uint Sent;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sendmmsg(int socket, MessageHeader* messages, uint count, int flags);
}
