using System.Buffers.Binary;
using System.Diagnostics;
using RebarProvision.Dhcp;
using RebarProvision.Dhcp.Server;

/// <summary>
/// DISCOVER+REQUEST exchanges through the path a received datagram takes, without sockets: perfdhcp's datagrams
/// are parsed, answered by the responder and store, and the reply is written, as <see cref="DhcpService"/> does.
/// Prints exchanges per second, bytes allocated per exchange (all threads: the store's writer too) and the
/// collections and GC pause meanwhile. A warm-up of its own (JIT, caches) is not counted.
/// </summary>
internal static class InProcessExchanges
{
    private const uint Server = 0x0A610001; // 10.97.0.1, the rig's server
    private const uint Relay = 0x0A610002; // 10.97.0.2, perfdhcp's giaddr

    public static async Task RunAsync(DhcpResponder responder, int count, int workers, string store)
    {
        var warmUp = Math.Min(2000, count / 10);
        await RunExchangesAsync(responder, 0, warmUp, workers);
        var collections = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var paused = GC.GetTotalPauseDuration();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        await RunExchangesAsync(responder, warmUp, count, workers);
        var elapsed = clock.Elapsed;
        var bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        var measured = count - warmUp;
        Console.WriteLine(
            $"in-process: {measured} exchanges in {elapsed.TotalSeconds:F2} s = {measured / elapsed.TotalSeconds:F0}/s with {workers} workers on {store}, " +
            $"{bytes / measured} bytes allocated per exchange, " +
            $"gc={GC.CollectionCount(0) - collections.Item1}/{GC.CollectionCount(1) - collections.Item2}/{GC.CollectionCount(2) - collections.Item3} " +
            $"gc-pause={(GC.GetTotalPauseDuration() - paused).TotalMilliseconds:F0} ms heap={GC.GetGCMemoryInfo().HeapSizeBytes / 1048576} MiB, live after a full collection={GC.GetTotalMemory(forceFullCollection: true) / 1048576.0:F1} MiB");
    }

    /// <summary>Clients <paramref name="first"/> to <paramref name="end"/> (exclusive), each DISCOVER then REQUEST.</summary>
    private static Task RunExchangesAsync(DhcpResponder responder, int first, int end, int workers)
    {
        var next = first - 1;
        var context = new DhcpReceiveContext(Server, Server, false, Relay, 67);
        return Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            var input = new byte[DhcpService.MaxDatagram];
            var output = new byte[DhcpService.MaxDatagram];
            int client;
            while ((client = Interlocked.Increment(ref next)) < end)
            {
                var length = PerfdhcpDatagrams.Discover(input, (uint)client, client, Relay);
                if (await AnswerAsync(responder, input, length, context, output) != DhcpMessageType.Offer)
                {
                    throw new InvalidOperationException($"client {client}: no OFFER");
                }
                var offered = BinaryPrimitives.ReadUInt32BigEndian(output.AsSpan(16));
                length = PerfdhcpDatagrams.Request(input, (uint)client, client, Relay, Server, offered);
                if (await AnswerAsync(responder, input, length, context, output) != DhcpMessageType.Ack)
                {
                    throw new InvalidOperationException($"client {client}: no ACK");
                }
            }
        })));
    }

    /// <summary>Parses the datagram, answers it and writes the reply into <paramref name="output"/>; the reply's type.</summary>
    private static async ValueTask<DhcpMessageType> AnswerAsync(DhcpResponder responder, byte[] input, int length, DhcpReceiveContext context, byte[] output)
    {
        if (!DhcpMessage.TryParse(input.AsSpan(0, length), out var request, out var error))
        {
            throw new InvalidOperationException($"the client's datagram does not parse: {error}");
        }
        var answer = responder.RespondAsync(request, context);
        var reply = answer.IsCompletedSuccessfully ? answer.Result : await answer;
        if (reply is null || !reply.Message.TryWrite(output, Math.Min(DhcpMessage.MaxReplyLength(request), DhcpService.MaxDatagram), out _))
        {
            return DhcpMessageType.None;
        }
        // The reply's option 53 comes first (DhcpReplies.New).
        return output[240] == DhcpOptionCode.MessageType ? (DhcpMessageType)output[242] : DhcpMessageType.None;
    }
}
