using System.Buffers.Binary;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RebarProvision.Dhcp;
using RebarProvision.Model;
using RebarProvision.Store;

namespace RebarProvision.Dhcp.Server;

/// <summary>
/// Runs a few hundred DHCP exchanges (DISCOVER, REQUEST, renewal, RELEASE; direct and relayed) through the codec, the
/// responder and a scratch SQLite store in a temporary directory before the receive threads start (datagrams that
/// arrive meanwhile wait in the socket buffers), so the first datagrams of a
/// boot storm do not wait for the JIT. Compiling the answering path on the first real packets took ~0.3 s, during
/// which a node just (re)started under load lost the first ~1,000 exchanges to full socket buffers (tests/perf/dhcp).
/// Nothing of it reaches the real store or the exported metrics.
/// </summary>
internal static class DhcpWarmUp
{
    private const uint Server = 0xC6120001; // 198.18.0.1: RFC 2544's benchmarking range, never a real network
    private const uint Relay = 0xC6120002;

    /// <summary>Exchanges per round; rounds go on while the JIT still compiles (see <see cref="RunAsync"/>).</summary>
    public const int Exchanges = 200;

    private const int MaxRounds = 4;

    /// <summary>How long the JIT must stay idle after a round for the path to count as compiled.</summary>
    private static readonly TimeSpan Settled = TimeSpan.FromMilliseconds(250);

    /// <param name="scratchParent">Where the scratch store's directory goes (the service: the system's temporary directory).</param>
    /// <remarks>
    /// With tiered compilation a method is first compiled quickly, then, once called often enough, again in the
    /// background with full optimisation (and profile data): rounds repeat, each followed by a pause, until a round
    /// compiles nothing new, so the optimised code is in place before the first real packet, not in the middle of
    /// the storm (where it cost 1.7 s of CPU on two cores, tests/perf/dhcp/RESULTS.md).
    /// </remarks>
    /// <returns>How many exchanges of the first round ended in an ACK.</returns>
    public static async Task<int> RunAsync(DhcpServiceOptions options, string scratchParent, ILogger logger, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        // Owner-only, as Directory.CreateTempSubdirectory makes it: the parent may be a shared /tmp.
        var directory = Directory.CreateDirectory(Path.Combine(scratchParent, "rebar-dhcp-warm-up-" + Guid.NewGuid().ToString("N")),
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var answered = 0;
        try
        {
            await using (var store = new SqliteStore(directory.FullName))
            {
                await store.MigrateAsync(cancellationToken);
                await store.Objects.CreateAsync(new Subnet { Name = "warm-up", Cidr = "198.18.0.0/15", ActiveStart = "198.18.0.10", ActiveEnd = "198.19.255.250", LeaseTime = 600 }, cancellationToken);
                // Not a "RebarProvision.*" meter: /metrics must not count these packets.
                using var meter = new Meter("rebar-dhcp-warm-up");
                var metrics = new DhcpMetrics(meter);
                var responder = new DhcpResponder(store, new NoUnknownMachines(), new LoneNode(), new DhcpServiceOptions { Node = options.Node }, metrics, TimeProvider.System, NullLogger<DhcpResponder>.Instance);
                var context = DhcpReceiveContext.Broadcast(Server);
                var datagram = new byte[DhcpService.MaxDatagram];
                var compiled = JitInfo.GetCompiledMethodCount();
                var rounds = 0;
                while (rounds < MaxRounds)
                {
                    for (var i = 0; i < Exchanges; i++)
                    {
                        var client = (uint)((rounds * Exchanges) + i);
                        if (await ExchangeAsync(responder, context, client, relayed: i % 2 == 1, datagram, cancellationToken) && rounds == 0)
                        {
                            answered++;
                        }
                    }
                    rounds++;
                    await Task.Delay(Settled, cancellationToken);
                    var now = JitInfo.GetCompiledMethodCount();
                    if (now == compiled)
                    {
                        break;
                    }
                    compiled = now;
                }
                logger.LogDebug("DHCP: warmed up in {Elapsed:F0} ms ({Rounds} rounds)", Stopwatch.GetElapsedTime(started).TotalMilliseconds, rounds);
            }
            return answered;
        }
        finally
        {
            try
            {
                directory.Delete(recursive: true);
            }
            catch (IOException e)
            {
                // Not worth failing over, nor hiding the warm-up's own error for.
                logger.LogDebug(e, "DHCP: the warm-up's scratch directory {Directory} stays", directory.FullName);
            }
        }
    }

    /// <summary>
    /// The store's own read path, which the scratch store does not cover when the server runs on PostgreSQL: look-ups
    /// a DISCOVER makes (a token, an address, unused addresses), many at once so they batch as in a storm, for names
    /// and addresses no subnet uses. Reads only: nothing changes in the store.
    /// </summary>
    public static async Task ReadStoreAsync(IStore store, CancellationToken cancellationToken)
    {
        const int Concurrent = 64;
        for (var round = 0; round < 3; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, Concurrent).Select(async i =>
            {
                var address = Server + 0x100u + (uint)i;
                await store.Leases.FindByTokenAsync("rebar-warm-up-" + i, cancellationToken);
                await store.Leases.GetAsync(Ipv4Network.Format(address), cancellationToken);
                await store.Leases.FindUnusedAddressesAsync("rebar-warm-up", address, address + 7, 4, cancellationToken);
            }));
        }
    }

    /// <summary>One client's DORA, a renewal and a RELEASE, each request through the wire format both ways; true when it got its ACK.</summary>
    private static async Task<bool> ExchangeAsync(DhcpResponder responder, DhcpReceiveContext context, uint client, bool relayed, byte[] datagram, CancellationToken cancellationToken)
    {
        var chaddr = new byte[16];
        chaddr[0] = 0x02;
        BinaryPrimitives.WriteUInt32BigEndian(chaddr.AsSpan(2), client);
        var offer = await AskAsync(responder, context, Request(DhcpMessageType.Discover, client, chaddr, relayed), datagram, cancellationToken);
        if (offer is null)
        {
            return false;
        }
        var request = Request(DhcpMessageType.Request, client, chaddr, relayed);
        request.Options.SetAddress(DhcpOptionCode.RequestedAddress, offer.YourAddress);
        request.Options.SetAddress(DhcpOptionCode.ServerIdentifier, Server);
        if (await AskAsync(responder, context, request, datagram, cancellationToken) is not { } ack)
        {
            return false;
        }
        var renewal = Request(DhcpMessageType.Request, client, chaddr, relayed);
        renewal.ClientAddress = ack.YourAddress;
        await AskAsync(responder, context, renewal, datagram, cancellationToken);
        var release = Request(DhcpMessageType.Release, client, chaddr, relayed);
        release.ClientAddress = ack.YourAddress;
        release.Options.SetAddress(DhcpOptionCode.ServerIdentifier, Server);
        await AskAsync(responder, context, release, datagram, cancellationToken);
        return true;
    }

    private static DhcpMessage Request(DhcpMessageType type, uint client, byte[] chaddr, bool relayed)
    {
        var message = new DhcpMessage { TransactionId = client, ClientHardwareAddress = chaddr, RelayAddress = relayed ? Relay : 0 };
        message.Options.SetMessageType(type);
        message.Options.Set(DhcpOptionCode.ParameterRequestList, [1, 3, 6, 15, 51, 54]);
        return message;
    }

    /// <summary>Writes the request, parses it back as the listener would, answers it, and parses the reply as a client would.</summary>
    private static async Task<DhcpMessage?> AskAsync(DhcpResponder responder, DhcpReceiveContext context, DhcpMessage request, byte[] datagram, CancellationToken cancellationToken)
    {
        if (!request.TryWrite(datagram, DhcpService.MaxDatagram, out var length) || !DhcpMessage.TryParse(datagram.AsSpan(0, length), out var parsed, out _))
        {
            return null;
        }
        var reply = await responder.RespondAsync(parsed, context, cancellationToken);
        if (reply is null || !reply.Message.TryWrite(datagram, DhcpMessage.MaxReplyLength(parsed), out length))
        {
            return null;
        }
        return DhcpMessage.TryParse(datagram.AsSpan(0, length), out var answer, out _) ? answer : null;
    }

    /// <summary>The warm-up's clients are not PXE clients, so nothing asks; and nothing may reach the real inventory.</summary>
    private sealed class NoUnknownMachines : IUnknownMachines
    {
        public ValueTask<bool> ShouldBootAsync(string mac, PxeClient client, CancellationToken cancellationToken) => ValueTask.FromResult(false);
    }
}
