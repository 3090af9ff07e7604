namespace RebarProvision.Dhcp.Server;

/// <summary>
/// The offers this node made in one subnet and has not yet seen REQUESTed: a node-local courtesy (the store's claim
/// decides). One offer per client, offered again when it DISCOVERs again, as ISC dhcpd does; and soft, like Kea's
/// (which stores nothing for a DISCOVER): when the pool runs dry, or an ingress or the whole subnet holds more
/// unrequested offers than its share, the oldest one is taken back. Random MACs then cannot drain the pool, and
/// a rack whose PXE ROMs retry DISCOVER holds one address per machine. An offer younger than the grace a client
/// needs to REQUEST it is never taken back: a share full of young offers answers no new client until its oldest
/// ages, so a burst of a thousand machines on one segment is served in turns instead of NAKing the first ones.
/// </summary>
internal sealed class OfferBook
{
    private readonly Lock _gate = new();
    private readonly Dictionary<uint, Offer> _byAddress = [];
    private readonly Dictionary<string, uint> _byToken = new(StringComparer.Ordinal);
    private readonly Dictionary<DhcpIngress, int> _perIngress = [];

    /// <summary>Offers in the order made; entries whose offer has since changed (another sequence) are skipped.</summary>
    private readonly Queue<(uint Address, long Sequence)> _oldestFirst = new();
    private long _sequence;

    private readonly record struct Offer(string Token, DateTimeOffset Made, DateTimeOffset Expires, DhcpIngress Ingress, long Sequence);

    /// <summary>Unrequested offers standing now (expired ones are counted until the next call forgets them).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _byAddress.Count;
            }
        }
    }

    /// <summary>The address offered to this client and not yet expired, if any.</summary>
    public uint? OfferedTo(string token, DateTimeOffset now)
    {
        lock (_gate)
        {
            return _byToken.TryGetValue(token, out var address) && _byAddress.TryGetValue(address, out var offer) && offer.Expires > now
                ? address
                : null;
        }
    }

    public bool IsHeldForAnother(uint address, string token, DateTimeOffset now)
    {
        lock (_gate)
        {
            return _byAddress.TryGetValue(address, out var offer) && offer.Token != token && offer.Expires > now;
        }
    }

    /// <summary>Holds the address for the client until <paramref name="expires"/>, replacing the client's earlier offer.</summary>
    public void Hold(uint address, string token, DhcpIngress ingress, DateTimeOffset expires, DateTimeOffset now)
    {
        lock (_gate)
        {
            ForgetExpired(now);
            if (_byToken.TryGetValue(token, out var earlier))
            {
                Remove(earlier);
            }
            Remove(address);
            var sequence = ++_sequence;
            _byAddress[address] = new Offer(token, now, expires, ingress, sequence);
            _byToken[token] = address;
            _perIngress[ingress] = _perIngress.GetValueOrDefault(ingress) + 1;
            _oldestFirst.Enqueue((address, sequence));
        }
    }

    /// <summary>The client REQUESTed its offer: it is a lease now (or a NAK), no longer an offer.</summary>
    public void Release(uint address, string token)
    {
        lock (_gate)
        {
            if (_byAddress.TryGetValue(address, out var offer) && offer.Token == token)
            {
                Remove(address);
            }
        }
    }

    /// <summary>
    /// Takes back the oldest unrequested offer when the caller may not hold another one: the oldest of
    /// <paramref name="ingress"/> when that ingress holds <paramref name="ingressCap"/> offers, else the oldest of all
    /// when the subnet holds <paramref name="subnetCap"/> offers or <paramref name="poolDry"/>; only an offer made
    /// at or before <paramref name="madeBy"/>. The address is free of offers afterwards; the caller holds it anew.
    /// </summary>
    /// <returns>
    /// <see cref="OfferReclaim.NotNeeded"/> when the caller may hold another offer (or none is left to take),
    /// <see cref="OfferReclaim.AllTooYoung"/> when one should go but the oldest candidate is still in its grace.
    /// </returns>
    public OfferReclaim TakeBack(DhcpIngress ingress, int ingressCap, int subnetCap, bool poolDry, DateTimeOffset madeBy, DateTimeOffset now)
    {
        lock (_gate)
        {
            ForgetExpired(now);
            if (_perIngress.GetValueOrDefault(ingress) >= ingressCap)
            {
                // Bounded by the offers standing: the ingress holds at least one of them. In order made, so the first
                // one of the ingress is its oldest.
                foreach (var (address, sequence) in _oldestFirst)
                {
                    if (_byAddress.TryGetValue(address, out var offer) && offer.Sequence == sequence && offer.Ingress == ingress)
                    {
                        return TakeIfOld(address, offer, madeBy);
                    }
                }
            }
            if (_byAddress.Count >= subnetCap || poolDry)
            {
                while (_oldestFirst.TryPeek(out var oldest))
                {
                    if (_byAddress.TryGetValue(oldest.Address, out var offer) && offer.Sequence == oldest.Sequence)
                    {
                        return TakeIfOld(oldest.Address, offer, madeBy);
                    }
                    _oldestFirst.Dequeue();
                }
            }
            return OfferReclaim.NotNeeded;
        }
    }

    private OfferReclaim TakeIfOld(uint address, Offer offer, DateTimeOffset madeBy)
    {
        if (offer.Made > madeBy)
        {
            return OfferReclaim.AllTooYoung;
        }
        Remove(address);
        return OfferReclaim.Taken(address);
    }

    /// <summary>Offers past their hold time go; they sit at the front of the queue, so this costs only what it removes.</summary>
    private void ForgetExpired(DateTimeOffset now)
    {
        while (_oldestFirst.TryPeek(out var oldest))
        {
            if (_byAddress.TryGetValue(oldest.Address, out var offer) && offer.Sequence == oldest.Sequence)
            {
                if (offer.Expires > now)
                {
                    return;
                }
                Remove(oldest.Address);
            }
            _oldestFirst.Dequeue();
        }
    }

    private void Remove(uint address)
    {
        if (!_byAddress.Remove(address, out var offer))
        {
            return;
        }
        if (_byToken.TryGetValue(offer.Token, out var held) && held == address)
        {
            _byToken.Remove(offer.Token);
        }
        var left = _perIngress.GetValueOrDefault(offer.Ingress) - 1;
        if (left > 0)
        {
            _perIngress[offer.Ingress] = left;
        }
        else
        {
            _perIngress.Remove(offer.Ingress);
        }
    }
}
