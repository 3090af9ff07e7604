using Microsoft.Extensions.Logging;
using RebarProvision.Dhcp;
using RebarProvision.Model;
using RebarProvision.Store;

namespace RebarProvision.Dhcp.Server;

/// <summary>
/// Subnets and reservations as the DHCP service sees them, cached and reloaded from the store every few seconds.
/// Nothing here is state that matters: leases always go to the store.
/// </summary>
internal sealed class DhcpNetworks(IStore store, TimeSpan refreshInterval, ILogger logger)
{
    private readonly Lock _gate = new();
    private Task? _loading;
    private Snapshot _current = new([], new Dictionary<string, ReservationPlan>(), new Dictionary<uint, ReservationPlan>(), DateTimeOffset.MinValue);

    public sealed record Snapshot(
        IReadOnlyList<SubnetPlan> Subnets,
        IReadOnlyDictionary<string, ReservationPlan> ByMac,
        IReadOnlyDictionary<uint, ReservationPlan> ByAddress,
        DateTimeOffset LoadedAt);

    public async ValueTask<Snapshot> GetAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var current = _current;
        if (now - current.LoadedAt < refreshInterval)
        {
            return current;
        }
        // One reload at a time; concurrent callers wait for the same one.
        Task loading;
        lock (_gate)
        {
            if (_loading is null || _loading.IsCompleted)
            {
                _loading = LoadAsync(now, CancellationToken.None);
            }
            loading = _loading;
        }
        await loading.WaitAsync(cancellationToken);
        return _current;
    }

    private async Task LoadAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        IReadOnlyList<Subnet> subnets;
        IReadOnlyList<Reservation> reservations;
        try
        {
            subnets = await store.Objects.ListAsync<Subnet>(cancellationToken);
            reservations = await store.Objects.ListAsync<Reservation>(cancellationToken);
        }
        catch (StoreUnavailableException) when (_current.LoadedAt != DateTimeOffset.MinValue)
        {
            // The last subnets read stay good while the store is away, so renewals can still be answered from memory
            // (DESIGN §7); the next reload is tried a refresh interval later, not on every datagram.
            _current = _current with { LoadedAt = now };
            return;
        }
        var previous = _current.Subnets.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var plans = new List<SubnetPlan>();
        foreach (var subnet in subnets.Where(s => s.Enabled))
        {
            if (!Ipv4Network.TryParse(subnet.Cidr, out var network))
            {
                logger.LogWarning("DHCP: subnet {Subnet} has no usable CIDR '{Cidr}'; not answering for it", subnet.Name, subnet.Cidr);
                continue;
            }
            var range = Ipv4Network.TryParseAddress(subnet.ActiveStart, out var first) && Ipv4Network.TryParseAddress(subnet.ActiveEnd, out var last)
                ? new AddressRange(first, last)
                : new AddressRange(1, 0);
            var options = EncodeOptions(subnet.Options, $"subnet {subnet.Name}");
            if (!options.Any(o => o.Code == DhcpOptionCode.SubnetMask))
            {
                options.Insert(0, new DhcpOption(DhcpOptionCode.SubnetMask, AddressBytes(network.Mask)));
            }
            // This node's offers and nextFree cursor carry over a reload, unless the range moved under them.
            var state = previous.TryGetValue(subnet.Name, out var old) && old.Range == range ? old.State : new SubnetState(range);
            uint[] relays = [.. subnet.Relays.Select(ParseAddress).OfType<uint>()];
            plans.Add(new SubnetPlan(subnet, network, range, [.. options], ParseAddress(subnet.NextServer), relays, state));
        }
        var byMac = new Dictionary<string, ReservationPlan>(StringComparer.Ordinal);
        var byAddress = new Dictionary<uint, ReservationPlan>();
        foreach (var reservation in reservations)
        {
            if (!Ipv4Network.TryParseAddress(reservation.Addr, out var address) || !HardwareAddress.TryNormalize(reservation.Token, out var mac))
            {
                continue;
            }
            var plan = new ReservationPlan(reservation, address, mac, [.. EncodeOptions(reservation.Options, $"reservation {reservation.Addr}")], ParseAddress(reservation.NextServer));
            byMac[mac] = plan;
            byAddress[address] = plan;
        }
        _current = new Snapshot(plans, byMac, byAddress, now);
    }

    private List<DhcpOption> EncodeOptions(IEnumerable<DhcpOptionValue> values, string owner)
    {
        var options = new List<DhcpOption>();
        foreach (var value in values)
        {
            if (value.Code is < 1 or > 254 || !DhcpOptionTable.TryEncode((byte)value.Code, value.Value, out var bytes))
            {
                logger.LogWarning("DHCP: {Owner} option {Code} value '{Value}' does not read as {Type}; not sent",
                    owner, value.Code, value.Value, value.Code is >= 1 and <= 254 ? DhcpOptionTable.Find((byte)value.Code).Type : "an option");
                continue;
            }
            options.Add(new DhcpOption((byte)value.Code, bytes));
        }
        return options;
    }

    private static uint? ParseAddress(string? text) => Ipv4Network.TryParseAddress(text, out var a) ? a : null;

    private static byte[] AddressBytes(uint address) => [(byte)(address >> 24), (byte)(address >> 16), (byte)(address >> 8), (byte)address];
}
