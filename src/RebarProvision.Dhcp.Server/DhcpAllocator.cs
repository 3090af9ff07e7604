using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using RebarProvision.Model;
using RebarProvision.Store;

namespace RebarProvision.Dhcp.Server;

/// <summary>
/// Where an address is chosen: for a DISCOVER, the address to offer (the client's bound lease, its reservation, its
/// previous lease, then the subnet's pickers <c>hint</c>, <c>nextFree</c>, <c>mostExpired</c> in the subnet's order);
/// for a REQUEST, whether the address may be bound, and the claim that binds it. Offers are held in this node's
/// <see cref="SubnetState"/>; leases live in the store, whose constraints, not this class, settle races between nodes.
/// </summary>
internal sealed class DhcpAllocator(IStore store, IDhcpPeers peers, DhcpServiceOptions options, ILogger logger)
{
    /// <summary>Offers an ingress or subnet may always hold, however small its share: a few machines booting at once.</summary>
    private const int MinimumOfferCap = 4;

    private readonly LeaseMemory _memory = new();

    /// <summary>
    /// The address to offer the exchange's client, held for it; null when the subnet has none. RFC 2131 §4.3.1 lets
    /// the server offer without reserving; we hold offers in memory so this node does not offer one address twice,
    /// and only the REQUEST's claim writes the store -- one transaction per exchange. With
    /// <see cref="DhcpServiceOptions.PersistOffers"/> the offer is claimed in the store as well.
    /// </summary>
    /// <param name="hint">The address the client asked for (option 50), if any.</param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<(uint? Address, bool SharesFull)> OfferAsync(DhcpExchange x, uint? hint, CancellationToken cancellationToken)
    {
        var subnet = x.Subnet!;
        var reservation = x.Reservation;
        var existing = await store.Leases.FindByTokenAsync(x.Token, cancellationToken);
        // A bound client that DISCOVERs again (it rebooted) is offered its lease as it stands: claiming it as
        // offered would shorten a lease the client may still be using.
        if (existing is { State: LeaseState.Bound } && existing.IsActiveAt(x.Now) && existing.Subnet == subnet.Name &&
            Ipv4Network.TryParseAddress(existing.Addr, out var bound) && IsAssignable(x, bound, reservation) &&
            (reservation is null || reservation.Address == bound))
        {
            return (bound, false);
        }
        if (reservation is not null)
        {
            if (await IsFreeForAsync(x, reservation.Address, cancellationToken) && await HoldAsync(x, reservation.Address, cancellationToken))
            {
                return (reservation.Address, false);
            }
            logger.LogWarning("DHCP: reserved address {Address} of {Mac} is leased to another client", reservation.Reservation.Addr, reservation.Mac);
            return (null, false);
        }
        // ISC dhcpd: a client that DISCOVERs again (PXE ROMs retry) gets the offer it has, not one more address.
        var offers = subnet.State.Offers;
        if (offers.OfferedTo(x.Token, x.Now) is { } offered && IsAssignable(x, offered, null) && await HoldAsync(x, offered, cancellationToken))
        {
            return (offered, false);
        }
        if (existing is not null && existing.Subnet == subnet.Name && !IsQuarantined(existing, x.Now) &&
            Ipv4Network.TryParseAddress(existing.Addr, out var previous) && IsAssignable(x, previous, null) &&
            !subnet.State.Offers.IsHeldForAnother(previous, x.Token, x.Now) &&
            (existing.Token == x.Token || !existing.IsActiveAt(x.Now)) && await HoldAsync(x, previous, cancellationToken))
        {
            return (previous, false);
        }
        // Over its share of unrequested offers, the ingress (or the subnet) gives up its oldest offer to this client,
        // once that offer is past its grace; until then the client gets no offer (it DISCOVERs again).
        var reclaimed = await TakeBackAsync(x, poolDry: false, cancellationToken);
        if (reclaimed.Address is not null || reclaimed.SharesFull)
        {
            return (reclaimed.Address, reclaimed.SharesFull);
        }
        foreach (var picker in subnet.Subnet.Pickers)
        {
            var address = picker switch
            {
                "hint" => await PickHintAsync(x, hint, cancellationToken),
                "nextFree" => await PickNextFreeAsync(x, cancellationToken),
                "mostExpired" => await PickMostExpiredAsync(x, cancellationToken),
                _ => null,
            };
            if (address is not null)
            {
                return (address, false);
            }
        }
        // Offers are soft: with the pool dry, the oldest unrequested one past its grace goes to the client asking now.
        var dry = await TakeBackAsync(x, poolDry: true, cancellationToken);
        return (dry.Address, dry.SharesFull);
    }

    /// <summary>
    /// The oldest unrequested offer past its grace (<see cref="DhcpServiceOptions.OfferGraceSeconds"/>), taken back
    /// for this client when its ingress or the subnet holds its share of offers
    /// (<see cref="DhcpServiceOptions.OfferIngressPercent"/>, <see cref="DhcpServiceOptions.OfferPoolPercent"/>), or
    /// the pool is dry. No address when no offer needs to go, when the one taken is no longer free, or (with
    /// <c>SharesFull</c>) when every offer that could go is still in its grace.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<OfferReclaim> TakeBackAsync(DhcpExchange x, bool poolDry, CancellationToken cancellationToken)
    {
        var subnet = x.Subnet!;
        var size = subnet.Range.Count;
        var ingressCap = (int)Math.Min(int.MaxValue, Math.Max(MinimumOfferCap, size * options.OfferIngressPercent / 100));
        var subnetCap = (int)Math.Min(int.MaxValue, Math.Max(MinimumOfferCap, size * options.OfferPoolPercent / 100));
        var reclaim = subnet.State.Offers.TakeBack(x.Ingress, ingressCap, subnetCap, poolDry, x.Now.AddSeconds(-options.OfferGraceSeconds), x.Now);
        if (reclaim.Address is not { } address)
        {
            return reclaim;
        }
        return IsAssignable(x, address, null) && await IsFreeForAsync(x, address, cancellationToken) && await HoldAsync(x, address, cancellationToken)
            ? reclaim
            : OfferReclaim.NotNeeded;
    }

    /// <summary>
    /// Binds the REQUESTed address to the client when it may have it: assignable to it, not offered to another client
    /// on this node, and claimed in the store (the claim is what decides).
    /// </summary>
    /// <returns>False when the REQUEST is to be NAKed.</returns>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> BindAsync(DhcpExchange x, uint address, CancellationToken cancellationToken)
    {
        var subnet = x.Subnet!;
        if (!IsAssignable(x, address, x.Reservation) || subnet.State.Offers.IsHeldForAnother(address, x.Token, x.Now))
        {
            return false;
        }
        var bound = await store.Leases.TryClaimAsync(NewLease(x, address, LeaseState.Bound, x.Now.AddSeconds(x.LeaseSeconds)), x.Now, cancellationToken);
        if (bound is null)
        {
            _memory.Forget(address);
            return false;
        }
        subnet.State.Offers.Release(address, x.Token);
        _memory.Bound(address, bound);
        return true;
    }

    /// <summary>
    /// While the store is unreachable: renews the client's lease from what this node remembers binding, when the
    /// address is still assignable to it (see <see cref="LeaseMemory"/>).
    /// </summary>
    public bool TryRenewFromMemory(in DhcpExchange x, uint address) =>
        IsAssignable(x, address, x.Reservation) && _memory.TryRenew(address, NewLease(x, address, LeaseState.Bound, x.Now.AddSeconds(x.LeaseSeconds)), x.Now);

    /// <summary>
    /// Writes the renewals answered from memory, once the store answers again. One that finds its address taken by
    /// another client meanwhile (its lease had run out in the store, and another node handed it out after the store
    /// came back) is logged: that client will be NAKed at its next renewal and start over.
    /// </summary>
    public async Task WriteRenewalsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var (address, lease) in _memory.TakeUnwritten())
        {
            if (await store.Leases.TryClaimAsync(lease, now, cancellationToken) is null)
            {
                _memory.Forget(address);
                logger.LogWarning("DHCP: {Address}, renewed for {Token} while the store was unreachable, was taken by another client meanwhile", lease.Addr, lease.Token);
            }
            _memory.Written(address, lease);
        }
    }

    /// <summary>RFC 2131 §4.3.3: the client found the address in use by someone else; keep it out of the pool for a while.</summary>
    public Task DeclineAsync(Lease lease, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ForgetLease(lease);
        return store.Leases.TryUpdateAsync(lease with { State = LeaseState.Declined, ExpiresAt = now.AddSeconds(options.DeclineQuarantineSeconds), Node = options.Node }, cancellationToken);
    }

    /// <summary>RFC 2131 §4.3.4: the client gives the address back.</summary>
    public Task ReleaseAsync(Lease lease, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ForgetLease(lease);
        return store.Leases.TryUpdateAsync(lease with { State = LeaseState.Released, ExpiresAt = now, Node = options.Node }, cancellationToken);
    }

    private void ForgetLease(Lease lease)
    {
        if (Ipv4Network.TryParseAddress(lease.Addr, out var address))
        {
            _memory.Forget(address);
        }
    }

    /// <summary>
    /// An address we may give this client: inside the subnet, not its network or broadcast address, not ours,
    /// not another MAC's reservation, and inside the active range unless it is the client's own reservation.
    /// </summary>
    public static bool IsAssignable(in DhcpExchange x, uint address, ReservationPlan? reservation)
    {
        var subnet = x.Subnet!;
        if (!subnet.Network.Contains(address) || address == x.Receive.ServerAddress || address == x.Receive.InterfaceAddress ||
            (subnet.Network.PrefixLength < 31 && (address == subnet.Network.Network || address == subnet.Network.Broadcast)))
        {
            return false;
        }
        if (x.Networks.ByAddress.TryGetValue(address, out var owner))
        {
            return reservation is not null && owner.Mac == reservation.Mac;
        }
        return subnet.Range.Contains(address);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<uint?> PickHintAsync(DhcpExchange x, uint? hint, CancellationToken cancellationToken)
    {
        var subnet = x.Subnet!;
        if (hint is not { } address || !subnet.Range.Contains(address) || !IsAssignable(x, address, null) ||
            subnet.State.Offers.IsHeldForAnother(address, x.Token, x.Now))
        {
            return null;
        }
        if (!await IsFreeForAsync(x, address, cancellationToken) || !await HoldAsync(x, address, cancellationToken))
        {
            return null;
        }
        subnet.State.MarkTaken(address, x.Now);
        return address;
    }

    /// <summary>
    /// The next unused address from this node's cursor. Unused addresses are read from the store a handful at a time
    /// (<see cref="SubnetState.TakeCandidate"/>), so a DISCOVER costs a store query only once per handful; the
    /// REQUEST's claim still decides, so a candidate another node took meanwhile ends in a NAK, never a duplicate.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<uint?> PickNextFreeAsync(DhcpExchange x, CancellationToken cancellationToken)
    {
        var subnet = x.Subnet!;
        var state = subnet.State;
        await state.PickLock.WaitAsync(cancellationToken);
        try
        {
            state.SetShare(peers.Share, subnet.Range);
            var wrapped = state.NextFreeCursor == subnet.Range.First;
            // Bounded: each refill moves the cursor forward, and a full pass ends the search.
            for (var refill = 0; refill < 256; refill++)
            {
                while (state.TakeCandidate(x.Now) is { } candidate)
                {
                    if (IsAssignable(x, candidate, null) && !state.Offers.IsHeldForAnother(candidate, x.Token, x.Now) &&
                        await HoldAsync(x, candidate, cancellationToken))
                    {
                        return candidate;
                    }
                }
                var start = subnet.Range.FirstAllowed(state.NextFreeCursor, x, static (x, a) => !IsAssignable(x, a, null) || x.Subnet!.State.Offers.IsHeldForAnother(a, x.Token, x.Now));
                IReadOnlyList<uint> unused = start is { } s
                    ? await store.Leases.FindUnusedAddressesAsync(subnet.Name, s, subnet.Range.Last, SubnetState.CandidateBatch, cancellationToken)
                    : [];
                if (unused.Count == 0)
                {
                    if (wrapped)
                    {
                        return null;
                    }
                    wrapped = true;
                    state.NextFreeCursor = subnet.Range.First;
                    continue;
                }
                state.NextFreeCursor = unused[^1] + 1;
                state.SetCandidates(unused, x.Now);
            }
            return null;
        }
        finally
        {
            state.PickLock.Release();
        }
    }

    /// <summary>The longest-inactive lease is claimed in the store even for an offer: it would be everyone's pick otherwise.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<uint?> PickMostExpiredAsync(DhcpExchange x, CancellationToken cancellationToken)
    {
        var subnet = x.Subnet!;
        var oldest = await store.Leases.FindMostExpiredAsync(subnet.Name, x.Now, cancellationToken);
        if (oldest is null || IsQuarantined(oldest, x.Now) || !Ipv4Network.TryParseAddress(oldest.Addr, out var address) ||
            !subnet.Range.Contains(address) || !IsAssignable(x, address, null))
        {
            return null;
        }
        var expires = x.Now.AddSeconds(Math.Min(options.OfferHoldSeconds, subnet.Subnet.LeaseTime));
        var claimed = await store.Leases.TryClaimAsync(NewLease(x, address, LeaseState.Offered, expires), x.Now, cancellationToken);
        return claimed is null ? null : address;
    }

    /// <summary>No other client holds the address now, and it is not quarantined after a DECLINE.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> IsFreeForAsync(DhcpExchange x, uint address, CancellationToken cancellationToken)
    {
        var current = await store.Leases.GetAsync(Ipv4Network.Format(address), cancellationToken);
        // A declined address stays quarantined even for the client that declined it: it found the address in use.
        return current is null || (!IsQuarantined(current, x.Now) && (current.Token == x.Token || !current.IsActiveAt(x.Now)));
    }

    /// <summary>Holds the address for the client's REQUEST (see <see cref="OfferAsync"/>).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> HoldAsync(DhcpExchange x, uint address, CancellationToken cancellationToken)
    {
        var expires = x.Now.AddSeconds(Math.Min(options.OfferHoldSeconds, x.LeaseSeconds));
        if (options.PersistOffers &&
            await store.Leases.TryClaimAsync(NewLease(x, address, LeaseState.Offered, expires), x.Now, cancellationToken) is null)
        {
            return false;
        }
        x.Subnet!.State.Offers.Hold(address, x.Token, x.Ingress, expires, x.Now);
        return true;
    }

    private Lease NewLease(in DhcpExchange x, uint address, LeaseState state, DateTimeOffset expires) => new()
    {
        Addr = Ipv4Network.Format(address),
        Token = x.Token,
        Subnet = x.Subnet!.Name,
        State = state,
        ExpiresAt = expires,
        Node = options.Node,
    };

    public static bool IsQuarantined(Lease lease, DateTimeOffset now) => lease.State == LeaseState.Declined && lease.ExpiresAt > now;
}
