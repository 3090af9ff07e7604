using System.Collections.Concurrent;

namespace RebarProvision.Dhcp.Server;

/// <summary>
/// What this node keeps about one subnet while answering: the offers it made, where its nextFree search stands and
/// the unused addresses it read ahead. Hints and courtesies only: the store's claim decides. Outlives reloads of the
/// subnet's <see cref="SubnetPlan"/> while its range stays the same.
/// </summary>
internal sealed class SubnetState(AddressRange range)
{
    /// <summary>Unused addresses read from the store at once by the nextFree picker.</summary>
    public const int CandidateBatch = 32;

    /// <summary>
    /// How long unused addresses read from the store are trusted: short, since another node (or this node's hint
    /// picker) may take one meanwhile, and then its REQUEST is NAKed and the client starts over.
    /// </summary>
    private static readonly TimeSpan CandidateLifetime = TimeSpan.FromSeconds(1);

    /// <summary>Unused addresses ahead of the cursor, lowest first; only touched under <see cref="PickLock"/>.</summary>
    private readonly Queue<uint> _candidates = new();
    private DateTimeOffset _candidatesReadAt;

    /// <summary>
    /// Addresses the hint picker gave out lately, with when. The hint picker can give out an address that has no
    /// row yet, so it may sit among the unused addresses nextFree read before; skipped there, it is not offered again
    /// once its client has bound it (and then NAKed). Addresses taken on other nodes still end in a NAK, and the
    /// client starts over.
    /// </summary>
    private readonly ConcurrentDictionary<uint, DateTimeOffset> _takenLately = new();
    private long _purgeTakenAtTicks;

    /// <summary>The offers this node made and has not yet seen REQUESTed.</summary>
    public OfferBook Offers { get; } = new();

    /// <summary>Serialises this node's nextFree picks, so its own workers do not race for one address.</summary>
    public SemaphoreSlim PickLock { get; } = new(1, 1);

    /// <summary>
    /// Where this node's last nextFree search ended: a hint only (the store decides), so the next search need not
    /// walk the whole used part of the range again.
    /// </summary>
    public uint NextFreeCursor { get; set; } = range.First;

    /// <summary>The share of new clients the cursor was placed for; see <see cref="SetShare"/>.</summary>
    private DhcpShare _share = DhcpShare.All;

    /// <summary>
    /// When the nodes' shares change (one joined or died), moves the cursor to the start of this node's slice of the
    /// range (<see cref="DhcpShare.SliceStart"/>) and forgets what it read ahead. Under <see cref="PickLock"/>.
    /// </summary>
    public void SetShare(DhcpShare share, AddressRange range)
    {
        if (share == _share)
        {
            return;
        }
        _share = share;
        NextFreeCursor = share.SliceStart(range);
        _candidates.Clear();
    }

    /// <summary>The next unused address read from the store, or null when none is left or they are too old to trust.</summary>
    public uint? TakeCandidate(DateTimeOffset now)
    {
        if (now - _candidatesReadAt > CandidateLifetime && _candidates.TryPeek(out var untaken))
        {
            // Too old to trust: read again from the first one not handed out, so a quiet subnet still fills in order.
            NextFreeCursor = untaken;
            _candidates.Clear();
        }
        while (_candidates.TryDequeue(out var address))
        {
            // An address taken up to a lifetime before the read may have raced it; later ones the read cannot have seen.
            if (!_takenLately.TryGetValue(address, out var takenAt) || takenAt < _candidatesReadAt - CandidateLifetime)
            {
                return address;
            }
        }
        return null;
    }

    public void SetCandidates(IReadOnlyList<uint> addresses, DateTimeOffset now)
    {
        _candidates.Clear();
        foreach (var address in addresses)
        {
            _candidates.Enqueue(address);
        }
        _candidatesReadAt = now;
    }

    /// <summary>Notes an address the hint picker just gave out (see <see cref="TakeCandidate"/>).</summary>
    public void MarkTaken(uint address, DateTimeOffset now)
    {
        _takenLately[address] = now;
        // Forget old ones at most once per candidate lifetime: a reboot storm can hint thousands a second.
        var purgeAt = Interlocked.Read(ref _purgeTakenAtTicks);
        if (now.UtcTicks >= purgeAt && Interlocked.CompareExchange(ref _purgeTakenAtTicks, now.UtcTicks + CandidateLifetime.Ticks, purgeAt) == purgeAt)
        {
            foreach (var (taken, at) in _takenLately)
            {
                if (now - at > 2 * CandidateLifetime)
                {
                    _takenLately.TryRemove(taken, out _);
                }
            }
        }
    }
}
