namespace RebarProvision.Dhcp.Server;

/// <summary>The DHCP listener's settings (configuration section "Dhcp"; DESIGN §2 names the flags).</summary>
public sealed class DhcpServiceOptions
{
    public const string Section = "Dhcp";

    /// <summary>Interface names to answer on; empty switches DHCP off.</summary>
    public List<string> Interfaces { get; set; } = [];

    public int Port { get; set; } = 67;

    /// <summary>The proxyDHCP (PXE boot server) port; 0 switches it off.</summary>
    public int ProxyPort { get; set; } = 4011;

    /// <summary>This node's name, written on the leases it answers for.</summary>
    public string Node { get; set; } = Environment.MachineName;

    /// <summary>The HTTP boot port written into boot URLs.</summary>
    public int HttpPort { get; set; } = 8091;

    /// <summary>The address put into boot URLs and option 54; null uses the receiving interface's IPv4 address.</summary>
    public string? AdvertiseAddress { get; set; }

    /// <summary>Seconds a DECLINEd address stays out of use (RFC 2131 §3.1 step 5: the client found it in use).</summary>
    public int DeclineQuarantineSeconds { get; set; } = 600;

    /// <summary>
    /// Seconds an OFFERed address is held for the client's REQUEST. Short: a client REQUESTs within a second or two
    /// (RFC 2131 §4.4.1), and a held offer is an address nobody else gets; a client that DISCOVERs again within the
    /// hold is offered the same address (see <see cref="OfferBook"/>).
    /// </summary>
    public int OfferHoldSeconds { get; set; } = 15;

    /// <summary>
    /// Seconds an offer is safe from being taken back for another client (see <see cref="OfferPoolPercent"/>): the time
    /// a client needs to REQUEST it, under load. Taking an offer back sooner NAKs the first machines of a booting rack
    /// for the ones behind them. Longer is kinder to slow ROMs but slower to recover: on one segment a flood and a
    /// rack cannot be told apart, and a fresh client after a flood waits this long for the flood's last offers.
    /// </summary>
    public int OfferGraceSeconds { get; set; } = 2;

    /// <summary>
    /// Percent of a subnet's range that unrequested offers may hold at once; beyond it the oldest offer is taken back
    /// for the new client. Bounds how much of the pool DISCOVERs from random MACs can hold.
    /// </summary>
    public int OfferPoolPercent { get; set; } = 50;

    /// <summary>
    /// Percent of a subnet's range that unrequested offers from one ingress (interface, relay, option 82 circuit) may
    /// hold at once, so one flooding port or relay cannot take the offers of the others. At least 4 offers either way.
    /// </summary>
    public int OfferIngressPercent { get; set; } = 25;

    /// <summary>
    /// Also claim OFFERed addresses in the store (state offered). Off by default: RFC 2131 §4.3.1 lets a server offer
    /// without reserving, offers are held in memory per node, and the REQUEST's claim is the transaction that counts.
    /// </summary>
    public bool PersistOffers { get; set; }

    /// <summary>How often subnets and reservations are reloaded from the store.</summary>
    public int RefreshSeconds { get; set; } = 5;

    /// <summary>
    /// Threads receiving on each DHCP socket. Each answers what the store answers at once (SQLite reads, an idle
    /// writer) on its own thread, so a datagram costs no hand-off between threads; one per core keeps every core busy.
    /// </summary>
    public int ReceiveThreads { get; set; } = Math.Clamp(Environment.ProcessorCount, 1, 4);

    /// <summary>
    /// Requests whose store work is still in flight (a claim waiting for its group commit, any PostgreSQL call); the
    /// store batches what is in flight together. Beyond this, new datagrams are dropped and counted as "overloaded",
    /// and the kernel's receive buffer holds the rest of a burst.
    /// </summary>
    public int MaxPending { get; set; } = 512;

    /// <summary>Answer a few hundred exchanges on a scratch store before the receive threads start (<see cref="DhcpWarmUp"/>).</summary>
    public bool WarmUp { get; set; } = true;

    public IEnumerable<string> Validate()
    {
        if (Port is < 1 or > 65535)
        {
            yield return $"Dhcp:Port {Port} is not a UDP port";
        }
        if (ProxyPort is < 0 or > 65535)
        {
            yield return $"Dhcp:ProxyPort {ProxyPort} is not a UDP port (0 = off)";
        }
        if (AdvertiseAddress is not null && !DhcpOptionDefinition.TryParseAddress(AdvertiseAddress, out _))
        {
            yield return $"Dhcp:AdvertiseAddress '{AdvertiseAddress}' is not an IPv4 address";
        }
        if (ReceiveThreads is < 1 or > 64)
        {
            yield return $"Dhcp:ReceiveThreads {ReceiveThreads} must be between 1 and 64";
        }
        if (OfferHoldSeconds is < 1 or > 300)
        {
            yield return $"Dhcp:OfferHoldSeconds {OfferHoldSeconds} must be between 1 and 300";
        }
        if (OfferGraceSeconds < 0 || OfferGraceSeconds >= OfferHoldSeconds)
        {
            yield return $"Dhcp:OfferGraceSeconds {OfferGraceSeconds} must be at least 0 and less than OfferHoldSeconds ({OfferHoldSeconds})";
        }
        if (OfferPoolPercent is < 1 or > 100 || OfferIngressPercent is < 1 or > 100)
        {
            yield return $"Dhcp:OfferPoolPercent {OfferPoolPercent} and OfferIngressPercent {OfferIngressPercent} must be between 1 and 100";
        }
        if (MaxPending < 1)
        {
            yield return $"Dhcp:MaxPending {MaxPending} must be at least 1";
        }
    }
}
