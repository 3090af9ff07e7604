using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using RebarProvision.Model;
using RebarProvision.Store;

namespace RebarProvision.Dhcp.Server;

/// <summary>
/// Turns one DHCP request into at most one reply (RFC 2131 §4.3): which message type answers it, with which options,
/// and where it goes. Addresses are chosen and claimed by <see cref="DhcpAllocator"/>; unknown PXE machines are left
/// to <see cref="IUnknownMachines"/>. No sockets here: <see cref="DhcpService"/> receives and sends.
/// </summary>
/// <remarks>
/// The async methods here and in <see cref="DhcpAllocator"/> pool their state machines
/// (<see cref="PoolingAsyncValueTaskMethodBuilder{TResult}"/>): a REQUEST waits for the store's claim through five of
/// them, which otherwise left 700 bytes per exchange for the collector (tests/perf/dhcp/RESULTS.md). So a
/// <see cref="RespondAsync"/> result is awaited (or read) once, as <see cref="DhcpService"/> does.
/// </remarks>
public sealed class DhcpResponder
{
    private readonly IStore _store;
    private readonly DhcpServiceOptions _options;
    private readonly TimeProvider _time;
    private readonly DhcpMetrics _metrics;
    private readonly ILogger _logger;
    private readonly DhcpNetworks _networks;
    private readonly DhcpAllocator _allocator;
    private readonly IUnknownMachines _unknownMachines;
    private readonly IDhcpPeers _peers;

    /// <summary>A drained pool is met by every DISCOVER of a flood: one warning per 10 s, with how many.</summary>
    private readonly ReportThrottle _exhausted;

    public DhcpResponder(IStore store, IUnknownMachines unknownMachines, IDhcpPeers peers, DhcpServiceOptions options, DhcpMetrics metrics, TimeProvider time, ILogger<DhcpResponder> logger)
    {
        _store = store;
        _unknownMachines = unknownMachines;
        _peers = peers;
        _options = options;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _networks = new DhcpNetworks(store, TimeSpan.FromSeconds(Math.Max(0, options.RefreshSeconds)), logger);
        _allocator = new DhcpAllocator(store, peers, options, logger);
        _exhausted = new ReportThrottle(time, TimeSpan.FromSeconds(10));
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<DhcpReply?> RespondAsync(DhcpMessage request, DhcpReceiveContext context, CancellationToken cancellationToken = default)
    {
        if (request.Operation != DhcpOperation.BootRequest || request.MessageType is DhcpMessageType.None)
        {
            _metrics.Drop(request.Operation != DhcpOperation.BootRequest ? DhcpOutcome.NotARequest : DhcpOutcome.NoMessageType);
            return null;
        }
        var now = _time.GetUtcNow();
        var networks = await _networks.GetAsync(now, cancellationToken);
        var subnet = SubnetMatch.Best(networks.Subnets, s => (s.Network.Network, s.Network.PrefixLength), SubnetMatch.SelectingAddress(request, context.InterfaceAddress));
        var exchange = new DhcpExchange(request, context, networks, subnet, now);
        var (reply, outcome) = await AnswerAsync(exchange, cancellationToken);
        _metrics.Packet(exchange.Type, outcome);
        if (reply is not null && _logger.IsEnabled(LogLevel.Debug))
        {
            _logger.LogDebug("DHCP {Type} from {Mac}: {Outcome} {Address}", exchange.Type, request.ClientMac, outcome,
                DhcpOptionDefinition.FormatAddress(reply.Message.YourAddress));
        }
        return reply;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(DhcpReply? Reply, DhcpOutcome Outcome)> AnswerAsync(DhcpExchange x, CancellationToken cancellationToken)
    {
        if (x.Receive.ProxyPort)
        {
            // PXE spec §2.2.3: the boot server on 4011 answers a PXE client's REQUEST (or INFORM) with its boot file only.
            if (!x.Client.IsPxe || x.Type is not (DhcpMessageType.Request or DhcpMessageType.Inform))
            {
                return (null, DhcpOutcome.Ignored);
            }
            return (await PxeOnlyAsync(x, DhcpMessageType.Ack, cancellationToken), DhcpOutcome.Ack);
        }
        if (x.Subnet is null)
        {
            return (null, DhcpOutcome.NoSubnet);
        }
        if (x.Request.RelayAddress != 0 && !x.Subnet.AcceptsRelay(x.Request.RelayAddress))
        {
            return (null, DhcpOutcome.UnknownRelay);
        }
        // One node offers to each new client: proxy offers too, or a PXE ROM would collect one from every node.
        if (x.Type == DhcpMessageType.Discover && !_peers.Share.Offers(LoadBalanceHash.Of(x.Request)))
        {
            return (null, DhcpOutcome.PeerOffers);
        }
        if (x.Subnet.AnswersPxeOnly)
        {
            return await PxeOnlyAnswerAsync(x, cancellationToken);
        }
        return x.Type switch
        {
            DhcpMessageType.Discover => await DiscoverAsync(x, cancellationToken),
            DhcpMessageType.Request => await RequestAsync(x, cancellationToken),
            DhcpMessageType.Decline => (null, await DeclineAsync(x, cancellationToken)),
            DhcpMessageType.Release => (null, await ReleaseAsync(x, cancellationToken)),
            DhcpMessageType.Inform => (await InformAsync(x, cancellationToken), DhcpOutcome.Ack),
            _ => (null, DhcpOutcome.Ignored),
        };
    }

    /// <summary>Writes the renewals answered from memory during a store outage; the service calls it once a second.</summary>
    public Task WriteRenewalsAsync(CancellationToken cancellationToken) => _allocator.WriteRenewalsAsync(_time.GetUtcNow(), cancellationToken);

    /// <summary>Proxy and unmanaged subnets: PXE clients get boot options without an address; everyone else silence.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(DhcpReply?, DhcpOutcome)> PxeOnlyAnswerAsync(DhcpExchange x, CancellationToken cancellationToken)
    {
        if (!x.Client.IsPxe)
        {
            return (null, DhcpOutcome.Ignored);
        }
        if (x.Type == DhcpMessageType.Discover)
        {
            return (await PxeOnlyAsync(x, DhcpMessageType.Offer, cancellationToken), DhcpOutcome.Offer);
        }
        // The REQUEST that follows a proxy OFFER names the address server's identifier, not ours: not ours to answer.
        if (x.Type == DhcpMessageType.Request && x.Request.Options.GetAddress(DhcpOptionCode.ServerIdentifier) == x.Receive.ServerAddress)
        {
            return (await PxeOnlyAsync(x, DhcpMessageType.Ack, cancellationToken), DhcpOutcome.Ack);
        }
        return (null, DhcpOutcome.Ignored);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<DhcpReply?> PxeOnlyAsync(DhcpExchange x, DhcpMessageType type, CancellationToken cancellationToken)
    {
        var request = x.Request;
        var reply = DhcpReplies.New(request, type, x.Receive);
        if (request.ClientAddress != 0)
        {
            reply.ClientAddress = request.ClientAddress;
        }
        // No address is handed out here, so any reservation of the MAC may name its next server.
        x.Networks.ByMac.TryGetValue(request.ClientMac, out var reservation);
        if (!await AddBootOptionsAsync(reply, x, reservation, cancellationToken))
        {
            return null;
        }
        DhcpReplies.Finish(reply, request);
        return x.Receive.ProxyPort
            ? new DhcpReply(reply, DhcpReplyTarget.Sender, x.Receive.SenderAddress, x.Receive.SenderPort)
            : DhcpReplies.Destination(request, reply, nak: false);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(DhcpReply?, DhcpOutcome)> DiscoverAsync(DhcpExchange x, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var (offered, sharesFull) = await _allocator.OfferAsync(x, x.Request.Options.GetAddress(DhcpOptionCode.RequestedAddress), cancellationToken);
        _metrics.Allocation(Stopwatch.GetElapsedTime(started));
        if (offered is null && sharesFull)
        {
            // A burst (or a flood) holds this ingress's or the subnet's share of offers, all within their grace:
            // the client DISCOVERs again in a few seconds, when the oldest have been REQUESTed or may be taken back.
            return (null, DhcpOutcome.OffersHeld);
        }
        if (offered is null)
        {
            if (_exhausted.Record(out var count))
            {
                _logger.LogWarning("DHCP: no free address in subnet {Subnet} for {Mac} ({Count} DISCOVERs unanswered since the last report)",
                    x.Subnet!.Name, x.Request.ClientMac, count);
            }
            return (null, DhcpOutcome.Exhausted);
        }
        var reply = DhcpReplies.New(x.Request, DhcpMessageType.Offer, x.Receive);
        reply.YourAddress = offered.Value;
        DhcpReplies.AddLeaseOptions(reply, x.Subnet!, x.Reservation);
        await AddBootOptionsAsync(reply, x, x.Reservation, cancellationToken);
        DhcpReplies.Finish(reply, x.Request);
        return (DhcpReplies.Destination(x.Request, reply, nak: false), DhcpOutcome.Offer);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(DhcpReply?, DhcpOutcome)> RequestAsync(DhcpExchange x, CancellationToken cancellationToken)
    {
        try
        {
            return await RequestFromStoreAsync(x, cancellationToken);
        }
        catch (StoreUnavailableException) when (DhcpRequestKind.Of(x.Request) is DhcpClientState.InitReboot or DhcpClientState.RenewingOrRebinding)
        {
            // DESIGN §7: a store outage must not cost a running machine its address. A lease this node bound and that
            // has not expired is renewed from memory and written when the store is back; anything else stays silent.
            var address = DhcpRequestKind.RequestedAddress(x.Request);
            if (!_allocator.TryRenewFromMemory(x, address))
            {
                throw;
            }
            return (await AckAsync(x, address, cancellationToken), DhcpOutcome.AckFromMemory);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(DhcpReply?, DhcpOutcome)> RequestFromStoreAsync(DhcpExchange x, CancellationToken cancellationToken)
    {
        var request = x.Request;
        var address = DhcpRequestKind.RequestedAddress(request);
        switch (DhcpRequestKind.Of(request))
        {
            case DhcpClientState.Invalid:
                return (null, DhcpOutcome.Ignored);
            case DhcpClientState.Selecting:
                // RFC 2131 §4.3.2: the client chose another server (in HA, another node); not ours to answer.
                if (request.Options.GetAddress(DhcpOptionCode.ServerIdentifier) != x.Receive.ServerAddress)
                {
                    return (null, DhcpOutcome.OtherServer);
                }
                // §4.3.2: the client answers an offer; one we never made it (nor a lease or reservation it holds)
                // is NAKed, never bound, or anyone could take any free address without a DISCOVER.
                if (x.Subnet!.State.Offers.OfferedTo(x.Token, x.Now) != address && x.Reservation?.Address != address &&
                    (await _store.Leases.GetAsync(Ipv4Network.Format(address), cancellationToken))?.Token != x.Token)
                {
                    return (DhcpReplies.Nak(request, x.Receive), DhcpOutcome.NotOffered);
                }
                break;
            case DhcpClientState.InitReboot:
            case DhcpClientState.RenewingOrRebinding:
                if (!x.Subnet!.Network.Contains(address))
                {
                    return (DhcpReplies.Nak(request, x.Receive), DhcpOutcome.Nak);
                }
                // §4.3.2: with no record of the client we stay silent (another server may know it) -- unless the
                // address is reserved for it, which is a record of its own.
                var existing = await _store.Leases.GetAsync(Ipv4Network.Format(address), cancellationToken);
                if (existing is null && x.Reservation?.Address != address)
                {
                    return (null, DhcpOutcome.UnknownClient);
                }
                if (existing is not null && existing.Token != x.Token)
                {
                    return (DhcpReplies.Nak(request, x.Receive), DhcpOutcome.Nak);
                }
                break;
        }
        if (!await _allocator.BindAsync(x, address, cancellationToken))
        {
            return (DhcpReplies.Nak(request, x.Receive), DhcpOutcome.Nak);
        }
        return (await AckAsync(x, address, cancellationToken), DhcpOutcome.Ack);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<DhcpReply> AckAsync(DhcpExchange x, uint address, CancellationToken cancellationToken)
    {
        var reply = DhcpReplies.New(x.Request, DhcpMessageType.Ack, x.Receive);
        reply.YourAddress = address;
        reply.ClientAddress = x.Request.ClientAddress;
        DhcpReplies.AddLeaseOptions(reply, x.Subnet!, x.Reservation);
        await AddBootOptionsAsync(reply, x, x.Reservation, cancellationToken);
        DhcpReplies.Finish(reply, x.Request);
        return DhcpReplies.Destination(x.Request, reply, nak: false);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<DhcpOutcome> DeclineAsync(DhcpExchange x, CancellationToken cancellationToken)
    {
        var address = x.Request.Options.GetAddress(DhcpOptionCode.RequestedAddress);
        if (address is null || !x.Subnet!.Network.Contains(address.Value))
        {
            return DhcpOutcome.Ignored;
        }
        var lease = await _store.Leases.GetAsync(Ipv4Network.Format(address.Value), cancellationToken);
        if (lease is null || lease.Token != x.Token)
        {
            return DhcpOutcome.Ignored;
        }
        _logger.LogWarning("DHCP: {Mac} declined {Address}; quarantined for {Seconds} s", x.Request.ClientMac, lease.Addr, _options.DeclineQuarantineSeconds);
        await _allocator.DeclineAsync(lease, x.Now, cancellationToken);
        return DhcpOutcome.Declined;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<DhcpOutcome> ReleaseAsync(DhcpExchange x, CancellationToken cancellationToken)
    {
        var lease = await _store.Leases.GetAsync(Ipv4Network.Format(x.Request.ClientAddress), cancellationToken);
        if (lease is null || lease.Token != x.Token)
        {
            return DhcpOutcome.Ignored;
        }
        await _allocator.ReleaseAsync(lease, x.Now, cancellationToken);
        return DhcpOutcome.Released;
    }

    /// <summary>RFC 2131 §3.4: configuration only; no lease, no lease time, sent to ciaddr.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<DhcpReply?> InformAsync(DhcpExchange x, CancellationToken cancellationToken)
    {
        var reply = DhcpReplies.New(x.Request, DhcpMessageType.Ack, x.Receive);
        reply.ClientAddress = x.Request.ClientAddress;
        DhcpReplies.AddConfigurationOptions(reply, x.Subnet!, x.Reservation);
        await AddBootOptionsAsync(reply, x, x.Reservation, cancellationToken);
        DhcpReplies.Finish(reply, x.Request);
        return DhcpReplies.Destination(x.Request, reply, nak: false);
    }

    /// <summary>Next server and boot file for PXE clients (DESIGN §4 step 3), when the unknown-machine policy lets them boot.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> AddBootOptionsAsync(DhcpMessage reply, DhcpExchange x, ReservationPlan? reservation, CancellationToken cancellationToken)
    {
        var client = x.Client;
        if (!client.IsPxe)
        {
            return false;
        }
        var server = DhcpOptionDefinition.FormatAddress(x.Receive.ServerAddress);
        var boot = PxeBootFile.Choose(client.Class, server, _options.HttpPort, x.Request.ClientMac);
        if (boot is null || !await _unknownMachines.ShouldBootAsync(x.Request.ClientMac, client, cancellationToken))
        {
            return false;
        }
        var nextServer = reservation?.NextServer ?? x.Subnet?.NextServer ?? x.Receive.ServerAddress;
        reply.NextServerAddress = nextServer;
        if (boot.FileName.Length < 128)
        {
            reply.BootFileName = boot.FileName;
        }
        reply.Options.SetText(DhcpOptionCode.BootFileName, boot.FileName);
        if (!boot.IsUrl)
        {
            reply.Options.SetText(DhcpOptionCode.TftpServerName, DhcpOptionDefinition.FormatAddress(nextServer));
        }
        // UEFI spec §24.7.2: an HTTP boot offer must say HTTPClient; PXE spec §2.2: PXE offers say PXEClient.
        if (boot.EchoHttpClient)
        {
            reply.Options.SetText(DhcpOptionCode.VendorClass, "HTTPClient");
        }
        else if (client.VendorClass?.StartsWith("PXEClient", StringComparison.Ordinal) == true)
        {
            reply.Options.SetText(DhcpOptionCode.VendorClass, "PXEClient");
        }
        return true;
    }
}
