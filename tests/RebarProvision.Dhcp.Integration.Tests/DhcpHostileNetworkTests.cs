using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using RebarProvision.Dhcp.Server;
using RebarProvision.Model;
using RebarProvision.Store;
using static RebarProvision.Dhcp.Integration.Tests.Requests;

namespace RebarProvision.Dhcp.Integration.Tests;

/// <summary>
/// The responder on the real SQLite store against a hostile or merely busy network (issue 13 items 7 and 8): offers
/// are one per client, soft, short and capped, so neither a retrying PXE ROM nor random MACs drain the pool; only
/// listed relays are answered; a REQUEST binds only what was offered.
/// </summary>
public sealed class DhcpHostileNetworkTests : IAsyncLifetime
{
    private static readonly DhcpReceiveContext OnLab = DhcpReceiveContext.Broadcast(Ip("10.0.0.1"));

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly DhcpServiceOptions _options = new() { Node = "n1", RefreshSeconds = 0, HttpPort = 8091 };
    private readonly TestMeters _meters = new();
    private readonly DhcpMetrics _metrics;
    private readonly ListLogger<DhcpResponder> _log = new();
    private TempStore _temp = null!;
    private DhcpResponder _responder = null!;

    /// <summary>Every unknown-machine path a responder of this test was built with; disposed with the test.</summary>
    private readonly List<RebarProvision.Server.Machines.Discovery> _discoveries = [];

    private IStore Store => _temp.Store;

    public DhcpHostileNetworkTests()
    {
        _metrics = _meters.Dhcp();
    }

    public async Task InitializeAsync()
    {
        // Eleven addresses in each pool.
        _temp = await TempStore.CreateAsync(_time,
            TempStore.Subnet("lab", "10.0.0.0/24", "10.0.0.100", "10.0.0.110"),
            TempStore.Subnet("far", "10.1.0.0/24", "10.1.0.50", "10.1.0.60"));
        _responder = await ResponderAsync();
    }

    public async Task DisposeAsync()
    {
        _discoveries.ForEach(d => d.Dispose());
        _meters.Dispose();
        await _temp.DisposeAsync();
    }

    [Fact]
    public async Task A_client_repeating_its_discover_is_offered_the_same_address_and_leaves_the_pool_to_others()
    {
        var offered = new HashSet<string>();
        for (uint xid = 1; xid <= 30; xid++)
        {
            offered.Add(Text((await RespondAsync(Discover("52:54:00:00:00:01", xid)))!.Message.YourAddress));
        }

        var other = await RespondAsync(Discover("52:54:00:00:00:02", 99));

        Assert.Equal(["10.0.0.100"], offered);
        Assert.Equal("10.0.0.101", Text(other!.Message.YourAddress));
    }

    [Fact]
    public async Task With_the_pool_dry_the_oldest_unrequested_offer_past_its_grace_goes_to_the_next_client_and_its_first_owner_is_naked()
    {
        _options.OfferPoolPercent = 100;
        _options.OfferIngressPercent = 100;
        for (var i = 0; i < 11; i++)
        {
            Assert.NotNull(await RespondAsync(Discover($"52:54:00:00:01:{i:x2}")));
        }

        var tooSoon = await RespondAsync(Discover("52:54:00:00:02:01"));
        _time.Advance(TimeSpan.FromSeconds(_options.OfferGraceSeconds));
        var late = await RespondAsync(Discover("52:54:00:00:02:01"));
        var firstOwner = await RespondAsync(Selecting("52:54:00:00:01:00", Ip("10.0.0.100")));
        var lateAck = await RespondAsync(Selecting("52:54:00:00:02:01", Ip("10.0.0.100")));

        Assert.Null(tooSoon);
        Assert.Equal("10.0.0.100", Text(late!.Message.YourAddress));
        Assert.Equal(DhcpMessageType.Nak, firstOwner!.Message.MessageType);
        Assert.Equal(DhcpMessageType.Ack, lateAck!.Message.MessageType);
        Assert.Equal("52:54:00:00:02:01", (await Store.Leases.GetAsync("10.0.0.100"))!.Token);
    }

    [Fact]
    public async Task A_flood_of_random_macs_behind_one_relay_circuit_holds_only_its_share_and_another_circuit_still_gets_a_fresh_address()
    {
        var flooded = new HashSet<string>();
        for (var i = 0; i < 200; i++)
        {
            // A second passes every ten DISCOVERs: offers past their grace are taken back for the flood's next MACs.
            _time.Advance(TimeSpan.FromMilliseconds(100));
            if (await RespondAsync(Relayed(Discover($"02:00:00:00:{i >> 8:x2}:{i & 0xff:x2}", (uint)i), "port-1")) is { } offer)
            {
                flooded.Add(Text(offer.Message.YourAddress));
            }
        }

        var neighbour = await RespondAsync(Relayed(Discover("52:54:00:00:00:09", 7), "port-2"));

        // 25% of eleven addresses, but never fewer than four offers per ingress.
        Assert.Equal(4, flooded.Count);
        Assert.NotNull(neighbour);
        Assert.DoesNotContain(Text(neighbour.Message.YourAddress), flooded);
    }

    [Fact]
    public async Task Unrequested_offers_are_capped_at_a_share_of_the_pool_across_ingresses()
    {
        _options.OfferIngressPercent = 100;
        var offered = new HashSet<string>();
        for (var i = 0; i < 100; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
            if (await RespondAsync(Relayed(Discover($"02:00:00:00:00:{i:x2}", (uint)i), $"port-{i}")) is { } offer)
            {
                offered.Add(Text(offer.Message.YourAddress));
            }
        }

        // Half of eleven addresses: five may be held by offers, the other six stay for clients that complete.
        Assert.Equal(5, offered.Count);
    }

    [Fact]
    public async Task A_rack_booting_at_once_past_its_share_is_offered_in_turns_and_no_machine_is_naked()
    {
        // Four offers per ingress (25% of eleven, at least four); eight machines on one segment power on together.
        var rack = Enumerable.Range(0, 8).Select(i => $"52:54:00:00:03:{i:x2}").ToList();
        var first = new Dictionary<string, DhcpReply?>();
        foreach (var mac in rack)
        {
            first[mac] = await RespondAsync(Discover(mac));
        }
        _time.Advance(TimeSpan.FromSeconds(1));
        var acks = new List<DhcpMessageType>();
        foreach (var (mac, offer) in first.Where(o => o.Value is not null))
        {
            acks.Add((await RespondAsync(Selecting(mac, offer!.Message.YourAddress)))!.Message.MessageType);
        }
        // The other four DISCOVER again, as a PXE ROM does after its first timeout.
        _time.Advance(TimeSpan.FromSeconds(4));
        foreach (var mac in rack.Where(m => first[m] is null))
        {
            var offer = await RespondAsync(Discover(mac));
            Assert.NotNull(offer);
            acks.Add((await RespondAsync(Selecting(mac, offer.Message.YourAddress)))!.Message.MessageType);
        }

        Assert.Equal(4, first.Values.Count(o => o is not null));
        Assert.Equal(Enumerable.Repeat(DhcpMessageType.Ack, 8), acks);
        Assert.Equal(8, (await Store.Leases.ListAsync()).Select(l => l.Addr).Distinct().Count());
    }

    [Fact]
    public async Task An_offer_is_held_for_the_configured_time_by_default_fifteen_seconds()
    {
        Assert.Equal(15, new DhcpServiceOptions().OfferHoldSeconds);
        _options.PersistOffers = true;
        _options.OfferHoldSeconds = 20;
        var responder = await ResponderAsync();

        var offer = await responder.RespondAsync(Discover("52:54:00:00:00:01"), OnLab);

        var lease = await Store.Leases.GetAsync(Text(offer!.Message.YourAddress));
        Assert.Equal(_time.GetUtcNow().AddSeconds(20), lease!.ExpiresAt);
    }

    [Fact]
    public async Task A_dry_pool_is_reported_once_per_ten_seconds_with_a_count()
    {
        for (var i = 0; i < 11; i++)
        {
            await FullExchangeAsync($"52:54:00:00:01:{i:x2}");
        }

        for (var i = 0; i < 50; i++)
        {
            Assert.Null(await RespondAsync(Discover($"52:54:00:00:03:{i:x2}")));
        }
        _time.Advance(TimeSpan.FromSeconds(11));
        Assert.Null(await RespondAsync(Discover("52:54:00:00:04:00")));

        var warnings = _log.Entries.Where(e => e.Level == LogLevel.Warning && e.Message.Contains("no free address", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.Contains("(50 DISCOVERs unanswered", warnings[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_selecting_request_for_an_address_never_offered_is_naked_and_not_bound()
    {
        using var counts = new PacketCounts(_metrics);

        var reply = await RespondAsync(Selecting("52:54:00:00:00:01", Ip("10.0.0.105")));

        Assert.Equal(DhcpMessageType.Nak, reply!.Message.MessageType);
        Assert.Null(await Store.Leases.GetAsync("10.0.0.105"));
        Assert.Equal(1, counts.Outcome("not-offered"));
    }

    [Fact]
    public async Task A_selecting_request_for_another_address_than_the_one_offered_is_naked()
    {
        var offer = await RespondAsync(Discover("52:54:00:00:00:01"));

        var reply = await RespondAsync(Selecting("52:54:00:00:00:01", Ip("10.0.0.107")));

        Assert.Equal("10.0.0.100", Text(offer!.Message.YourAddress));
        Assert.Equal(DhcpMessageType.Nak, reply!.Message.MessageType);
        Assert.Null(await Store.Leases.GetAsync("10.0.0.107"));
    }

    [Fact]
    public async Task A_subnet_with_listed_relays_drops_and_counts_requests_from_any_other_relay()
    {
        await _temp.DisposeAsync();
        var far = TempStore.Subnet("far", "10.1.0.0/24", "10.1.0.50", "10.1.0.60");
        far.Relays = ["10.1.0.254"];
        _temp = await TempStore.CreateAsync(_time, far);
        _responder = await ResponderAsync();
        using var counts = new PacketCounts(_metrics);

        var stranger = Discover("52:54:00:00:00:01");
        stranger.RelayAddress = Ip("10.1.0.1");
        var listed = Discover("52:54:00:00:00:01", 2);
        listed.RelayAddress = Ip("10.1.0.254");

        Assert.Null(await RespondAsync(stranger));
        Assert.Equal(1, counts.Outcome("unknown-relay"));
        var offer = await RespondAsync(listed);
        Assert.Equal(("10.1.0.254", "10.1.0.50"), (Text(offer!.Address), Text(offer.Message.YourAddress)));
    }

    [Fact]
    public void A_subnet_names_a_relay_that_is_not_an_address_in_its_field()
    {
        var subnet = TempStore.Subnet("far", "10.1.0.0/24", "10.1.0.50", "10.1.0.60");
        subnet.Relays = ["10.1.0.1", "router"];

        Assert.Equal(["relays[1]"], subnet.Validate().Select(e => e.Field));
    }

    private async Task<DhcpResponder> ResponderAsync()
    {
        var discovery = await ServerDiscovery.CreateAsync(Store, _time, _meters.Factory);
        _discoveries.Add(discovery);
        return new(Store, discovery, new LoneNode(), _options, _metrics, _time, _log);
    }

    private static DhcpMessage Selecting(string mac, uint address) => Request(mac, 5, o =>
    {
        o.SetAddress(DhcpOptionCode.RequestedAddress, address);
        o.SetAddress(DhcpOptionCode.ServerIdentifier, Ip("10.0.0.1"));
    });

    private static DhcpMessage Relayed(DhcpMessage request, string circuit)
    {
        var id = System.Text.Encoding.ASCII.GetBytes(circuit);
        request.Options.Set(DhcpOptionCode.RelayAgentInformation, [1, (byte)id.Length, .. id]);
        request.RelayAddress = Ip("10.1.0.1");
        return request;
    }

    private async Task FullExchangeAsync(string mac)
    {
        var offer = await RespondAsync(Discover(mac));
        var ack = await RespondAsync(Selecting(mac, offer!.Message.YourAddress));
        Assert.Equal(DhcpMessageType.Ack, ack!.Message.MessageType);
    }

    private Task<DhcpReply?> RespondAsync(DhcpMessage request) => _responder.RespondAsync(request, OnLab).AsTask();
}
