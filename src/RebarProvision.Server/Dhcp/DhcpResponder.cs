using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RebarProvision.Dhcp;
using RebarProvision.Model;
using RebarProvision.Store;

namespace RebarProvision.Server.Dhcp;

/// <summary>
/// Turns one DHCP request into at most one reply (RFC 2131 §4.3), with leases claimed in the store, one
/// transaction per lease change. No sockets here: <see cref="DhcpService"/> receives and sends.
/// </summary>
public sealed class DhcpResponder
{
    private readonly IStore _store;
    private readonly DhcpServiceOptions _options;
    private readonly TimeProvider _time;
    private readonly DhcpMetrics _metrics;
    private readonly ILogger _logger;
    private readonly DhcpNetworks _networks;
    private readonly IUnknownMachines _discovery;

    public DhcpResponder(IStore store, DhcpServiceOptions options, DhcpMetrics metrics, TimeProvider? time = null, ILogger? logger = null, IUnknownMachines? unknownMachines = null)
    {
        _store = store;
        _options = options;
        _metrics = metrics;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _networks = new DhcpNetworks(store, TimeSpan.FromSeconds(Math.Max(0, options.RefreshSeconds)), _logger);
        _discovery = unknownMachines ?? new MachineDiscovery(store, options, _time);
    }

    /// <summary>Reloads subnets and reservations now (they are otherwise reloaded every RefreshSeconds).</summary>
    public Task RefreshAsync(CancellationToken cancellationToken = default) => _networks.LoadAsync(_time.GetUtcNow(), cancellationToken);

    /// <summary>Metric names of message types 1-8, indexed by type: one string each, not one per packet.</summary>
    private static readonly string[] TypeNames =
        [.. Enumerable.Range(0, 9).Select(i => i == 0 ? "other" : ((DhcpMessageType)i).ToString().ToLowerInvariant())];

    public async ValueTask<DhcpReply?> RespondAsync(DhcpMessage request, DhcpReceiveContext context, CancellationToken cancellationToken = default)
    {
        var type = request.MessageType;
        var typeName = type is >= DhcpMessageType.Discover and <= DhcpMessageType.Inform ? TypeNames[(int)type] : "other";
        if (request.Operation != DhcpOperation.BootRequest || type is DhcpMessageType.None)
        {
            _metrics.Drop(request.Operation != DhcpOperation.BootRequest ? "not-a-request" : "no-message-type");
            return null;
        }
        var (reply, outcome) = await AnswerAsync(request, type, context, cancellationToken);
        _metrics.Packet(typeName, outcome);
        if (reply is not null && _logger.IsEnabled(LogLevel.Debug))
        {
            _logger.LogDebug("DHCP {Type} from {Mac}: {Outcome} {Address}", typeName, request.ClientMac, outcome,
                DhcpOptionDefinition.FormatAddress(reply.Message.YourAddress));
        }
        return reply;
    }

    private async ValueTask<(DhcpReply? Reply, string Outcome)> AnswerAsync(DhcpMessage request, DhcpMessageType type, DhcpReceiveContext context, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var networks = await _networks.GetAsync(now, cancellationToken);
        var subnet = SubnetMatch.Best(networks.Subnets, s => (s.Network.Network, s.Network.PrefixLength), SubnetMatch.SelectingAddress(request, context.InterfaceAddress));
        var client = PxeClient.Classify(request);

        if (context.ProxyPort)
        {
            // PXE spec §2.2.3: the boot server on 4011 answers a PXE client's REQUEST (or INFORM) with its boot file only.
            if (!client.IsPxe || type is not (DhcpMessageType.Request or DhcpMessageType.Inform))
            {
                return (null, "ignored");
            }
            return (await PxeOnlyAsync(request, DhcpMessageType.Ack, subnet, networks, client, context, cancellationToken), "ack");
        }
        if (subnet is null)
        {
            return (null, "no-subnet");
        }
        if (subnet.AnswersPxeOnly)
        {
            return await PxeOnlyAnswerAsync(request, type, subnet, networks, client, context, cancellationToken);
        }
        return type switch
        {
            DhcpMessageType.Discover => await DiscoverAsync(request, subnet, networks, client, context, now, cancellationToken),
            DhcpMessageType.Request => await RequestAsync(request, subnet, networks, client, context, now, cancellationToken),
            DhcpMessageType.Decline => (null, await DeclineAsync(request, subnet, now, cancellationToken)),
            DhcpMessageType.Release => (null, await ReleaseAsync(request, now, cancellationToken)),
            DhcpMessageType.Inform => (await InformAsync(request, subnet, networks, client, context, cancellationToken), "ack"),
            _ => (null, "ignored"),
        };
    }

    /// <summary>Proxy and unmanaged subnets: PXE clients get boot options without an address; everyone else silence.</summary>
    private async ValueTask<(DhcpReply?, string)> PxeOnlyAnswerAsync(DhcpMessage request, DhcpMessageType type, SubnetPlan subnet, DhcpNetworks.Snapshot networks, PxeClient client, DhcpReceiveContext context, CancellationToken cancellationToken)
    {
        if (!client.IsPxe)
        {
            return (null, "ignored");
        }
        if (type == DhcpMessageType.Discover)
        {
            return (await PxeOnlyAsync(request, DhcpMessageType.Offer, subnet, networks, client, context, cancellationToken), "offer");
        }
        // The REQUEST that follows a proxy OFFER names the address server's identifier, not ours: not ours to answer.
        if (type == DhcpMessageType.Request && request.Options.GetAddress(DhcpOptionCode.ServerIdentifier) == context.ServerAddress)
        {
            return (await PxeOnlyAsync(request, DhcpMessageType.Ack, subnet, networks, client, context, cancellationToken), "ack");
        }
        return (null, "ignored");
    }

    private async ValueTask<DhcpReply?> PxeOnlyAsync(DhcpMessage request, DhcpMessageType type, SubnetPlan? subnet, DhcpNetworks.Snapshot networks, PxeClient client, DhcpReceiveContext context, CancellationToken cancellationToken)
    {
        var reply = NewReply(request, type, context);
        if (request.ClientAddress != 0)
        {
            reply.ClientAddress = request.ClientAddress;
        }
        networks.ByMac.TryGetValue(request.ClientMac, out var reservation);
        if (!await AddBootOptionsAsync(reply, request, client, subnet, reservation, context, cancellationToken))
        {
            return null;
        }
        FinishReply(reply, request);
        return context.ProxyPort
            ? new DhcpReply(reply, DhcpReplyTarget.Sender, context.SenderAddress, context.SenderPort)
            : Destination(request, reply, nak: false);
    }

    private async ValueTask<(DhcpReply?, string)> DiscoverAsync(DhcpMessage request, SubnetPlan subnet, DhcpNetworks.Snapshot networks, PxeClient client, DhcpReceiveContext context, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var token = DhcpRequestKind.ClientToken(request);
        var mac = request.ClientMac;
        var reservation = ReservationIn(networks, subnet, mac);
        var started = Stopwatch.GetTimestamp();
        var offered = await OfferAsync(subnet, networks, token, reservation, request.Options.GetAddress(DhcpOptionCode.RequestedAddress), context, now, cancellationToken);
        _metrics.Allocation(Stopwatch.GetElapsedTime(started));
        if (offered is null)
        {
            _logger.LogWarning("DHCP: no free address in subnet {Subnet} for {Mac}", subnet.Name, mac);
            return (null, "exhausted");
        }
        var reply = NewReply(request, DhcpMessageType.Offer, context);
        reply.YourAddress = offered.Value;
        AddLeaseOptions(reply, subnet, reservation);
        await AddBootOptionsAsync(reply, request, client, subnet, reservation, context, cancellationToken);
        FinishReply(reply, request);
        return (Destination(request, reply, nak: false), "offer");
    }

    private async ValueTask<(DhcpReply?, string)> RequestAsync(DhcpMessage request, SubnetPlan subnet, DhcpNetworks.Snapshot networks, PxeClient client, DhcpReceiveContext context, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var state = DhcpRequestKind.Of(request);
        var token = DhcpRequestKind.ClientToken(request);
        var address = DhcpRequestKind.RequestedAddress(request);
        var reservation = ReservationIn(networks, subnet, request.ClientMac);
        switch (state)
        {
            case DhcpClientState.Invalid:
                return (null, "ignored");
            case DhcpClientState.Selecting:
                // RFC 2131 §4.3.2: the client chose another server (in HA, another node); not ours to answer.
                if (request.Options.GetAddress(DhcpOptionCode.ServerIdentifier) != context.ServerAddress)
                {
                    return (null, "other-server");
                }
                break;
            case DhcpClientState.InitReboot:
            case DhcpClientState.RenewingOrRebinding:
                if (!subnet.Network.Contains(address))
                {
                    return (Nak(request, context), "nak");
                }
                // §4.3.2: with no record of the client we stay silent (another server may know it) -- unless the
                // address is reserved for it, which is a record of its own.
                var existing = await _store.Leases.GetAsync(Ipv4Network.Format(address), cancellationToken);
                if (existing is null && reservation?.Address != address)
                {
                    return (null, "unknown-client");
                }
                if (existing is not null && existing.Token != token)
                {
                    return (Nak(request, context), "nak");
                }
                break;
        }
        if (!IsAssignable(subnet, networks, reservation, address, context) || subnet.IsHeldForAnother(address, token, now))
        {
            return (Nak(request, context), "nak");
        }
        var leaseTime = LeaseSeconds(subnet, reservation);
        var bound = await _store.Leases.TryClaimAsync(NewLease(address, token, subnet, LeaseState.Bound, now.AddSeconds(leaseTime)), now, cancellationToken);
        if (bound is null)
        {
            return (Nak(request, context), "nak");
        }
        subnet.Release(address, token);
        var reply = NewReply(request, DhcpMessageType.Ack, context);
        reply.YourAddress = address;
        reply.ClientAddress = request.ClientAddress;
        AddLeaseOptions(reply, subnet, reservation);
        await AddBootOptionsAsync(reply, request, client, subnet, reservation, context, cancellationToken);
        FinishReply(reply, request);
        return (Destination(request, reply, nak: false), "ack");
    }

    private async ValueTask<string> DeclineAsync(DhcpMessage request, SubnetPlan subnet, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var address = request.Options.GetAddress(DhcpOptionCode.RequestedAddress);
        if (address is null || !subnet.Network.Contains(address.Value))
        {
            return "ignored";
        }
        var lease = await _store.Leases.GetAsync(Ipv4Network.Format(address.Value), cancellationToken);
        if (lease is null || lease.Token != DhcpRequestKind.ClientToken(request))
        {
            return "ignored";
        }
        // RFC 2131 §4.3.3: the address is in use by someone else; keep it out of the pool for a while.
        _logger.LogWarning("DHCP: {Mac} declined {Address}; quarantined for {Seconds} s", request.ClientMac, lease.Addr, _options.DeclineQuarantineSeconds);
        await _store.Leases.TryUpdateAsync(lease with { State = LeaseState.Declined, ExpiresAt = now.AddSeconds(_options.DeclineQuarantineSeconds), Node = _options.Node }, cancellationToken);
        return "declined";
    }

    private async ValueTask<string> ReleaseAsync(DhcpMessage request, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var lease = await _store.Leases.GetAsync(Ipv4Network.Format(request.ClientAddress), cancellationToken);
        if (lease is null || lease.Token != DhcpRequestKind.ClientToken(request))
        {
            return "ignored";
        }
        await _store.Leases.TryUpdateAsync(lease with { State = LeaseState.Released, ExpiresAt = now, Node = _options.Node }, cancellationToken);
        return "released";
    }

    /// <summary>RFC 2131 §3.4: configuration only; no lease, no lease time, sent to ciaddr.</summary>
    private async ValueTask<DhcpReply?> InformAsync(DhcpMessage request, SubnetPlan subnet, DhcpNetworks.Snapshot networks, PxeClient client, DhcpReceiveContext context, CancellationToken cancellationToken)
    {
        var reservation = ReservationIn(networks, subnet, request.ClientMac);
        var reply = NewReply(request, DhcpMessageType.Ack, context);
        reply.ClientAddress = request.ClientAddress;
        AddConfigurationOptions(reply, subnet, reservation);
        await AddBootOptionsAsync(reply, request, client, subnet, reservation, context, cancellationToken);
        FinishReply(reply, request);
        return Destination(request, reply, nak: false);
    }

    /// <summary>
    /// The address to offer the token: its bound lease as it stands, else its reservation, else its previous lease in
    /// the subnet, else the subnet's pickers in order. RFC 2131 §4.3.1 lets the server offer without reserving; we
    /// hold offers in memory (<see cref="Hold"/>) so this node does not offer one address twice, and only the
    /// REQUEST's claim writes the store -- one transaction per exchange, whose constraint settles races between nodes.
    /// With <see cref="DhcpServiceOptions.PersistOffers"/> the offer is claimed in the store as well.
    /// </summary>
    private async ValueTask<uint?> OfferAsync(SubnetPlan subnet, DhcpNetworks.Snapshot networks, string token, ReservationPlan? reservation, uint? hint, DhcpReceiveContext context, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var existing = await _store.Leases.FindByTokenAsync(token, cancellationToken);
        // A bound client that DISCOVERs again (it rebooted) is offered its lease as it stands: claiming it as
        // offered would shorten a lease the client may still be using.
        if (existing is { State: LeaseState.Bound } && existing.IsActiveAt(now) && existing.Subnet == subnet.Name &&
            Ipv4Network.TryParseAddress(existing.Addr, out var bound) && IsAssignable(subnet, networks, reservation, bound, context) &&
            (reservation is null || reservation.Address == bound))
        {
            return bound;
        }
        if (reservation is not null)
        {
            if (await IsFreeForAsync(reservation.Address, token, now, cancellationToken) && await HoldAsync(subnet, reservation.Address, token, reservation, now, cancellationToken))
            {
                return reservation.Address;
            }
            _logger.LogWarning("DHCP: reserved address {Address} of {Mac} is leased to another client", reservation.Reservation.Addr, reservation.Mac);
            return null;
        }
        if (existing is not null && existing.Subnet == subnet.Name && !IsQuarantined(existing, now) &&
            Ipv4Network.TryParseAddress(existing.Addr, out var previous) && IsAssignable(subnet, networks, null, previous, context) &&
            !subnet.IsHeldForAnother(previous, token, now) &&
            (existing.Token == token || !existing.IsActiveAt(now)) && await HoldAsync(subnet, previous, token, null, now, cancellationToken))
        {
            return previous;
        }
        foreach (var picker in subnet.Subnet.Pickers)
        {
            var address = picker switch
            {
                "hint" => await PickHintAsync(subnet, networks, token, hint, context, now, cancellationToken),
                "nextFree" => await PickNextFreeAsync(subnet, networks, token, context, now, cancellationToken),
                "mostExpired" => await PickMostExpiredAsync(subnet, networks, token, context, now, cancellationToken),
                _ => null,
            };
            if (address is not null)
            {
                return address;
            }
        }
        return null;
    }

    private async ValueTask<uint?> PickHintAsync(SubnetPlan subnet, DhcpNetworks.Snapshot networks, string token, uint? hint, DhcpReceiveContext context, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (hint is not { } address || !subnet.Range.Contains(address) || !IsAssignable(subnet, networks, null, address, context) ||
            subnet.IsHeldForAnother(address, token, now))
        {
            return null;
        }
        if (!await IsFreeForAsync(address, token, now, cancellationToken) || !await HoldAsync(subnet, address, token, null, now, cancellationToken))
        {
            return null;
        }
        subnet.MarkTaken(address, now);
        return address;
    }

    /// <summary>
    /// The next unused address from this node's cursor. Unused addresses are read from the store a handful at a time
    /// (<see cref="SubnetPlan.TakeCandidate"/>), so a DISCOVER costs a store query only once per handful; the REQUEST's
    /// claim still decides, so a candidate another node took meanwhile ends in a NAK, never a duplicate.
    /// </summary>
    private async ValueTask<uint?> PickNextFreeAsync(SubnetPlan subnet, DhcpNetworks.Snapshot networks, string token, DhcpReceiveContext context, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await subnet.PickLock.WaitAsync(cancellationToken);
        try
        {
            var wrapped = subnet.NextFreeCursor == subnet.Range.First;
            // Bounded: each refill moves the cursor forward, and a full pass ends the search.
            for (var refill = 0; refill < 256; refill++)
            {
                while (subnet.TakeCandidate(now) is { } candidate)
                {
                    if (IsAssignable(subnet, networks, null, candidate, context) && !subnet.IsHeldForAnother(candidate, token, now) &&
                        await HoldAsync(subnet, candidate, token, null, now, cancellationToken))
                    {
                        return candidate;
                    }
                }
                var start = subnet.Range.FirstAllowed(subnet.NextFreeCursor, a => !IsAssignable(subnet, networks, null, a, context) || subnet.IsHeldForAnother(a, token, now));
                IReadOnlyList<uint> unused = start is { } s
                    ? await _store.Leases.FindUnusedAddressesAsync(subnet.Name, s, subnet.Range.Last, SubnetPlan.CandidateBatch, cancellationToken)
                    : [];
                if (unused.Count == 0)
                {
                    if (wrapped)
                    {
                        return null;
                    }
                    wrapped = true;
                    subnet.NextFreeCursor = subnet.Range.First;
                    continue;
                }
                subnet.NextFreeCursor = unused[^1] + 1;
                subnet.SetCandidates(unused, now);
            }
            return null;
        }
        finally
        {
            subnet.PickLock.Release();
        }
    }

    /// <summary>The longest-inactive lease is claimed in the store even for an offer: it would be everyone's pick otherwise.</summary>
    private async ValueTask<uint?> PickMostExpiredAsync(SubnetPlan subnet, DhcpNetworks.Snapshot networks, string token, DhcpReceiveContext context, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var oldest = await _store.Leases.FindMostExpiredAsync(subnet.Name, now, cancellationToken);
        if (oldest is null || IsQuarantined(oldest, now) || !Ipv4Network.TryParseAddress(oldest.Addr, out var address) ||
            !subnet.Range.Contains(address) || !IsAssignable(subnet, networks, null, address, context))
        {
            return null;
        }
        var expires = now.AddSeconds(Math.Min(_options.OfferHoldSeconds, subnet.Subnet.LeaseTime));
        var claimed = await _store.Leases.TryClaimAsync(NewLease(address, token, subnet, LeaseState.Offered, expires), now, cancellationToken);
        return claimed is null ? null : address;
    }

    /// <summary>No other client holds the address now, and it is not quarantined after a DECLINE.</summary>
    private async ValueTask<bool> IsFreeForAsync(uint address, string token, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var current = await _store.Leases.GetAsync(Ipv4Network.Format(address), cancellationToken);
        // A declined address stays quarantined even for the client that declined it: it found the address in use.
        return current is null || (!IsQuarantined(current, now) && (current.Token == token || !current.IsActiveAt(now)));
    }

    private async ValueTask<bool> HoldAsync(SubnetPlan subnet, uint address, string token, ReservationPlan? reservation, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var expires = now.AddSeconds(Math.Min(_options.OfferHoldSeconds, LeaseSeconds(subnet, reservation)));
        if (_options.PersistOffers &&
            await _store.Leases.TryClaimAsync(NewLease(address, token, subnet, LeaseState.Offered, expires), now, cancellationToken) is null)
        {
            return false;
        }
        subnet.Hold(address, token, expires, now);
        return true;
    }

    private Lease NewLease(uint address, string token, SubnetPlan subnet, LeaseState state, DateTimeOffset expires) => new()
    {
        Addr = Ipv4Network.Format(address),
        Token = token,
        Subnet = subnet.Name,
        State = state,
        ExpiresAt = expires,
        Node = _options.Node,
    };

    private static bool IsQuarantined(Lease lease, DateTimeOffset now) => lease.State == LeaseState.Declined && lease.ExpiresAt > now;

    /// <summary>
    /// An address we may give this client: inside the subnet, not its network or broadcast address, not ours,
    /// not another MAC's reservation, and inside the active range unless it is the client's own reservation.
    /// </summary>
    private static bool IsAssignable(SubnetPlan subnet, DhcpNetworks.Snapshot networks, ReservationPlan? reservation, uint address, DhcpReceiveContext context)
    {
        if (!subnet.Network.Contains(address) || address == context.ServerAddress || address == context.InterfaceAddress ||
            (subnet.Network.PrefixLength < 31 && (address == subnet.Network.Network || address == subnet.Network.Broadcast)))
        {
            return false;
        }
        if (networks.ByAddress.TryGetValue(address, out var owner))
        {
            return reservation is not null && owner.Mac == reservation.Mac;
        }
        return subnet.Range.Contains(address);
    }

    private static ReservationPlan? ReservationIn(DhcpNetworks.Snapshot networks, SubnetPlan subnet, string mac) =>
        networks.ByMac.TryGetValue(mac, out var r) && subnet.Network.Contains(r.Address) &&
        (r.Reservation.Subnet is null || r.Reservation.Subnet == subnet.Name) ? r : null;

    private static int LeaseSeconds(SubnetPlan subnet, ReservationPlan? reservation) =>
        reservation is not null ? subnet.Subnet.ReservedLeaseTime : subnet.Subnet.LeaseTime;

    private static void AddLeaseOptions(DhcpMessage reply, SubnetPlan subnet, ReservationPlan? reservation)
    {
        SetAll(reply, subnet.LeaseTimeOptions(reserved: reservation is not null));
        AddConfigurationOptions(reply, subnet, reservation);
    }

    /// <summary>The subnet's options, then the reservation's, which win.</summary>
    private static void AddConfigurationOptions(DhcpMessage reply, SubnetPlan subnet, ReservationPlan? reservation)
    {
        SetAll(reply, subnet.Options);
        if (reservation is not null)
        {
            SetAll(reply, reservation.Options);
        }
    }

    private static void SetAll(DhcpMessage reply, DhcpOption[] options)
    {
        foreach (var option in options)
        {
            reply.Options.Set(option.Code, option.Value);
        }
    }

    /// <summary>Next server and boot file for PXE clients (DESIGN §4 step 3), when the unknown-machine policy lets them boot.</summary>
    private async ValueTask<bool> AddBootOptionsAsync(DhcpMessage reply, DhcpMessage request, PxeClient client, SubnetPlan? subnet, ReservationPlan? reservation, DhcpReceiveContext context, CancellationToken cancellationToken)
    {
        if (!client.IsPxe)
        {
            return false;
        }
        var server = DhcpOptionDefinition.FormatAddress(context.ServerAddress);
        var boot = PxeBootFile.Choose(client.Class, server, _options.HttpPort, request.ClientMac);
        if (boot is null || !await _discovery.ShouldBootAsync(request.ClientMac, client, cancellationToken))
        {
            return false;
        }
        var nextServer = reservation?.NextServer ?? subnet?.NextServer ?? context.ServerAddress;
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

    private static DhcpMessage NewReply(DhcpMessage request, DhcpMessageType type, DhcpReceiveContext context)
    {
        var reply = new DhcpMessage
        {
            Operation = DhcpOperation.BootReply,
            HardwareType = request.HardwareType,
            HardwareLength = request.HardwareLength,
            TransactionId = request.TransactionId,
            Flags = request.Flags,
            RelayAddress = request.RelayAddress,
            ClientHardwareAddress = request.ClientHardwareAddress,
        };
        reply.Options.SetMessageType(type);
        reply.Options.SetAddress(DhcpOptionCode.ServerIdentifier, context.ServerAddress);
        return reply;
    }

    /// <summary>RFC 3046 §2.2: the relay agent information goes back unchanged, as the last option.</summary>
    private static void FinishReply(DhcpMessage reply, DhcpMessage request)
    {
        if (request.RelayAddress != 0 && request.Options.Get(DhcpOptionCode.RelayAgentInformation) is { } relay)
        {
            reply.Options.Remove(DhcpOptionCode.RelayAgentInformation);
            reply.Options.Set(DhcpOptionCode.RelayAgentInformation, relay);
        }
    }

    private static DhcpReply Nak(DhcpMessage request, DhcpReceiveContext context)
    {
        var reply = NewReply(request, DhcpMessageType.Nak, context);
        FinishReply(reply, request);
        return Destination(request, reply, nak: true);
    }

    /// <summary>RFC 2131 §4.1: relay first; NAKs broadcast; ciaddr when the client has one; else broadcast.</summary>
    private static DhcpReply Destination(DhcpMessage request, DhcpMessage reply, bool nak)
    {
        if (request.RelayAddress != 0)
        {
            if (nak)
            {
                reply.Broadcast = true;
            }
            return new DhcpReply(reply, DhcpReplyTarget.Relay, request.RelayAddress, 67);
        }
        if (!nak && request.ClientAddress != 0)
        {
            return new DhcpReply(reply, DhcpReplyTarget.Client, request.ClientAddress, 68);
        }
        // Without an ARP entry for yiaddr we cannot unicast to a client that has no address yet.
        return new DhcpReply(reply, DhcpReplyTarget.Broadcast, uint.MaxValue, 68);
    }

}
