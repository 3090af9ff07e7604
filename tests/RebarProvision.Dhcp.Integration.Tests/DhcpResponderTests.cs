using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using RebarProvision.Dhcp.Server;
using RebarProvision.Model;
using RebarProvision.Store;
using static RebarProvision.Dhcp.Integration.Tests.Requests;

namespace RebarProvision.Dhcp.Integration.Tests;

/// <summary>The responder on the real SQLite store, without sockets: what each request gets back, and the lease rows.</summary>
public sealed class DhcpResponderTests : IAsyncLifetime
{
    private const string Mac = "52:54:00:00:00:01";
    private static readonly DhcpReceiveContext OnLab = DhcpReceiveContext.Broadcast(Ip("10.0.0.1"));

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly DhcpServiceOptions _options = new() { Node = "n1", RefreshSeconds = 0, HttpPort = 8091 };
    private readonly TestMeters _meters = new();
    private readonly DhcpMetrics _metrics;
    private TempStore _temp = null!;
    private SettablePeers _peers = new(DhcpShare.All);
    private DhcpResponder _responder = null!;

    /// <summary>Every unknown-machine path a responder of this test was built with; disposed with the test.</summary>
    private readonly List<RebarProvision.Server.Machines.Discovery> _discoveries = [];

    private IStore Store => _temp.Store;

    public DhcpResponderTests()
    {
        _metrics = _meters.Dhcp();
    }

    public async Task InitializeAsync()
    {
        _temp = await TempStore.CreateAsync(_time,
            TempStore.Subnet("lab", "10.0.0.0/24", "10.0.0.100", "10.0.0.110", new DhcpOptionValue { Code = 3, Value = "10.0.0.1" }, new DhcpOptionValue { Code = 6, Value = "10.0.0.2, 10.0.0.3" }),
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
    public async Task A_discover_gets_the_lowest_free_address_with_the_subnets_options()
    {
        var offer = await RespondAsync(Discover(Mac));

        Assert.Equal(DhcpMessageType.Offer, offer!.Message.MessageType);
        Assert.Equal("10.0.0.100", Text(offer.Message.YourAddress));
        Assert.Equal(DhcpReplyTarget.Broadcast, offer.Target);
        Assert.Equal("10.0.0.1", Format(offer.Message, DhcpOptionCode.Router));
        Assert.Equal("10.0.0.2, 10.0.0.3", Format(offer.Message, DhcpOptionCode.DomainNameServer));
        Assert.Equal("255.255.255.0", Format(offer.Message, DhcpOptionCode.SubnetMask));
        Assert.Equal("10.0.0.1", Format(offer.Message, DhcpOptionCode.ServerIdentifier));
        Assert.Equal(600u, offer.Message.Options.GetUInt32(DhcpOptionCode.LeaseTime));
        // RFC 2131 §4.3.1: offering does not reserve; the REQUEST's claim writes the lease.
        Assert.Null(await Store.Leases.GetAsync("10.0.0.100"));
    }

    [Fact]
    public async Task With_two_live_nodes_a_node_offers_only_to_the_clients_whose_rfc_3074_hash_falls_to_it_and_from_its_own_half_of_the_range()
    {
        _peers = new SettablePeers(new DhcpShare(1, 2));
        _responder = await ResponderAsync();
        var macs = Enumerable.Range(1, 8).Select(i => $"52:54:00:00:03:{i:x2}").ToList();
        var ours = macs.Where(m => LoadBalanceHash.Of(Discover(m)) % 2 == 1).ToList();
        Assert.NotEmpty(ours);
        Assert.NotEqual(macs.Count, ours.Count);

        foreach (var mac in macs)
        {
            var offer = await RespondAsync(Discover(mac));
            Assert.Equal(ours.Contains(mac), offer is not null);
        }
        // The range .100-.110 has 11 addresses: the second node's slice starts 5 in, at .105.
        var first = await RespondAsync(Discover(ours[0]));
        Assert.Equal("10.0.0.105", Text(first!.Message.YourAddress));
    }

    [Fact]
    public async Task When_the_other_node_dies_the_survivor_offers_to_everyone_again()
    {
        _peers = new SettablePeers(new DhcpShare(0, 2));
        _responder = await ResponderAsync();
        var theirs = Enumerable.Range(1, 8).Select(i => $"52:54:00:00:04:{i:x2}").First(m => LoadBalanceHash.Of(Discover(m)) % 2 == 1);
        Assert.Null(await RespondAsync(Discover(theirs)));

        _peers.Share = new DhcpShare(0, 1);

        Assert.NotNull(await RespondAsync(Discover(theirs)));
    }

    private sealed class SettablePeers(DhcpShare share) : IDhcpPeers
    {
        public DhcpShare Share { get; set; } = share;
    }

    [Fact]
    public async Task An_offer_is_held_so_a_second_client_is_offered_another_address()
    {
        var first = await RespondAsync(Discover(Mac));
        var second = await RespondAsync(Discover("52:54:00:00:00:02", 2));

        Assert.Equal("10.0.0.100", Text(first!.Message.YourAddress));
        Assert.Equal("10.0.0.101", Text(second!.Message.YourAddress));
    }

    [Fact]
    public async Task Clients_arriving_seconds_apart_get_consecutive_addresses()
    {
        // Unused addresses are read from the store a handful at a time and trusted for a second: a quiet subnet must
        // still fill in order, not skip the rest of each handful. The range is wider than a handful.
        await _temp.DisposeAsync();
        _temp = await TempStore.CreateAsync(_time, TempStore.Subnet("lab", "10.0.0.0/24", "10.0.0.100", "10.0.0.250"));
        _responder = await ResponderAsync();
        var addresses = new List<string>();
        for (var i = 1; i <= 3; i++)
        {
            addresses.Add(Text((await FullExchangeAsync($"52:54:00:00:01:0{i}")).Message.YourAddress));
            _time.Advance(TimeSpan.FromSeconds(5));
        }

        Assert.Equal(["10.0.0.100", "10.0.0.101", "10.0.0.102"], addresses);
    }

    [Fact]
    public async Task With_persisted_offers_an_offer_is_an_offered_lease_in_the_store()
    {
        _options.PersistOffers = true;
        var responder = await ResponderAsync();

        var offer = await responder.RespondAsync(Discover(Mac), OnLab);

        var lease = await Store.Leases.GetAsync(Text(offer!.Message.YourAddress));
        Assert.Equal((LeaseState.Offered, Mac), (lease!.State, lease.Token));
        Assert.Equal(_time.GetUtcNow().AddSeconds(15), lease.ExpiresAt);
    }

    [Fact]
    public async Task The_four_way_exchange_binds_the_lease_in_the_store()
    {
        var ack = await FullExchangeAsync(Mac);

        Assert.Equal(DhcpMessageType.Ack, ack.Message.MessageType);
        var lease = await Store.Leases.GetAsync(Text(ack.Message.YourAddress));
        Assert.Equal(LeaseState.Bound, lease!.State);
        Assert.Equal(Mac, lease.Token);
        Assert.Equal("lab", lease.Subnet);
        Assert.Equal("n1", lease.Node);
        Assert.Equal(_time.GetUtcNow().AddSeconds(600), lease.ExpiresAt);
    }

    [Fact]
    public async Task Two_clients_get_different_addresses_and_a_client_asking_again_keeps_its_own()
    {
        var first = await FullExchangeAsync(Mac);
        var second = await FullExchangeAsync("52:54:00:00:00:02");
        var again = await RespondAsync(Discover(Mac, 9));

        Assert.NotEqual(first.Message.YourAddress, second.Message.YourAddress);
        Assert.Equal(first.Message.YourAddress, again!.Message.YourAddress);
    }

    [Fact]
    public async Task A_bound_client_discovering_again_is_offered_its_lease_without_shortening_it()
    {
        var ack = await FullExchangeAsync(Mac);

        var offer = await RespondAsync(Discover(Mac, 8));

        Assert.Equal(ack.Message.YourAddress, offer!.Message.YourAddress);
        var lease = await Store.Leases.GetAsync(Text(ack.Message.YourAddress));
        Assert.Equal((LeaseState.Bound, _time.GetUtcNow().AddSeconds(600)), (lease!.State, lease.ExpiresAt));
    }

    [Fact]
    public async Task A_requested_address_hint_is_honoured_when_free()
    {
        var offer = await RespondAsync(Discover(Mac, options: o => o.SetAddress(DhcpOptionCode.RequestedAddress, Ip("10.0.0.105"))));

        Assert.Equal("10.0.0.105", Text(offer!.Message.YourAddress));
    }

    [Fact]
    public async Task An_address_bound_through_its_hint_is_not_offered_again_from_unused_addresses_read_before()
    {
        // The first nextFree pick reads a handful of unused addresses (10.0.0.100-110) ahead of time.
        await FullExchangeAsync("52:54:00:00:01:00");
        // Then a client asks for, and binds, one of them by name.
        var hinted = await RespondAsync(Discover("52:54:00:00:01:01", 2, o => o.SetAddress(DhcpOptionCode.RequestedAddress, Ip("10.0.0.102"))));
        Assert.Equal("10.0.0.102", Text(hinted!.Message.YourAddress));
        var bound = await RespondAsync(Request("52:54:00:00:01:01", 3, o =>
        {
            o.SetAddress(DhcpOptionCode.RequestedAddress, Ip("10.0.0.102"));
            o.SetAddress(DhcpOptionCode.ServerIdentifier, Ip("10.0.0.1"));
        }));
        Assert.Equal(DhcpMessageType.Ack, bound!.Message.MessageType);

        // Within the same second, nextFree clients get the other addresses: 10.0.0.102 would end in a NAK.
        var offered = new List<string>();
        for (var i = 2; i < 6; i++)
        {
            offered.Add(Text((await FullExchangeAsync($"52:54:00:00:01:0{i}")).Message.YourAddress));
        }
        Assert.Equal(["10.0.0.101", "10.0.0.103", "10.0.0.104", "10.0.0.105"], offered);
    }

    [Fact]
    public async Task A_reservation_wins_over_the_pool_and_its_address_is_never_given_to_others()
    {
        await Store.Objects.CreateAsync(new Reservation { Addr = "10.0.0.100", Token = "52:54:00:00:00:99", Options = [new DhcpOptionValue { Code = 12, Value = "reserved-host" }] });

        var other = await RespondAsync(Discover(Mac));
        var owner = await RespondAsync(Discover("52:54:00:00:00:99"));

        Assert.Equal("10.0.0.101", Text(other!.Message.YourAddress));
        Assert.Equal("10.0.0.100", Text(owner!.Message.YourAddress));
        Assert.Equal("reserved-host", owner.Message.Options.GetText(DhcpOptionCode.HostName));
        Assert.Equal(7200u, owner.Message.Options.GetUInt32(DhcpOptionCode.LeaseTime));
    }

    [Fact]
    public async Task A_relayed_discover_gets_an_address_from_the_subnet_of_giaddr_and_option_82_back()
    {
        byte[] relayInfo = [1, 4, 0xde, 0xad, 0xbe, 0xef];
        var request = Discover(Mac, options: o => o.Set(DhcpOptionCode.RelayAgentInformation, relayInfo));
        request.RelayAddress = Ip("10.1.0.1");

        var offer = await RespondAsync(request);

        Assert.Equal("10.1.0.50", Text(offer!.Message.YourAddress));
        Assert.Equal(DhcpReplyTarget.Relay, offer.Target);
        Assert.Equal(("10.1.0.1", 67), (Text(offer.Address), offer.Port));
        Assert.Equal(relayInfo, offer.Message.Options.Get(DhcpOptionCode.RelayAgentInformation));
        Assert.Equal(DhcpOptionCode.RelayAgentInformation, offer.Message.Options.Items[^1].Code);
        Assert.Equal("10.1.0.1", Text(offer.Message.RelayAddress));
    }

    [Fact]
    public async Task A_request_naming_another_server_is_ignored()
    {
        var offer = await RespondAsync(Discover(Mac));
        var request = Request(Mac, options: o =>
        {
            o.SetAddress(DhcpOptionCode.RequestedAddress, offer!.Message.YourAddress);
            o.SetAddress(DhcpOptionCode.ServerIdentifier, Ip("10.0.0.9"));
        });

        Assert.Null(await RespondAsync(request));
        Assert.Null(await Store.Leases.GetAsync(Text(offer!.Message.YourAddress)));
    }

    [Fact]
    public async Task Init_reboot_on_the_wrong_subnet_is_naked()
    {
        var request = Request(Mac, options: o => o.SetAddress(DhcpOptionCode.RequestedAddress, Ip("192.168.7.7")));

        var reply = await RespondAsync(request);

        Assert.Equal(DhcpMessageType.Nak, reply!.Message.MessageType);
        Assert.Equal(DhcpReplyTarget.Broadcast, reply.Target);
    }

    [Fact]
    public async Task Init_reboot_for_an_address_of_another_client_is_naked_and_for_its_own_is_acked()
    {
        var ack = await FullExchangeAsync("52:54:00:00:00:02");
        var address = ack.Message.YourAddress;

        var stranger = await RespondAsync(Request(Mac, options: o => o.SetAddress(DhcpOptionCode.RequestedAddress, address)));
        var owner = await RespondAsync(Request("52:54:00:00:00:02", options: o => o.SetAddress(DhcpOptionCode.RequestedAddress, address)));

        Assert.Equal(DhcpMessageType.Nak, stranger!.Message.MessageType);
        Assert.Equal(DhcpMessageType.Ack, owner!.Message.MessageType);
        Assert.Equal(address, owner.Message.YourAddress);
    }

    [Fact]
    public async Task Init_reboot_for_an_address_we_have_no_record_of_is_not_answered()
    {
        Assert.Null(await RespondAsync(Request(Mac, options: o => o.SetAddress(DhcpOptionCode.RequestedAddress, Ip("10.0.0.107")))));
    }

    [Fact]
    public async Task Renewal_keeps_the_address_while_the_lease_is_valid_and_extends_it()
    {
        var ack = await FullExchangeAsync(Mac);
        _time.Advance(TimeSpan.FromSeconds(300));
        var renew = Request(Mac, 7);
        renew.ClientAddress = ack.Message.YourAddress;

        var reply = await RespondAsync(renew);

        Assert.Equal(DhcpMessageType.Ack, reply!.Message.MessageType);
        Assert.Equal(ack.Message.YourAddress, reply.Message.YourAddress);
        Assert.Equal(DhcpReplyTarget.Client, reply.Target);
        Assert.Equal(ack.Message.YourAddress, reply.Address);
        Assert.Equal(_time.GetUtcNow().AddSeconds(600), (await Store.Leases.GetAsync(Text(ack.Message.YourAddress)))!.ExpiresAt);
    }

    [Fact]
    public async Task A_declined_address_is_quarantined_and_not_offered_again()
    {
        var ack = await FullExchangeAsync(Mac);
        var decline = Build(DhcpMessageType.Decline, Mac, 3, o =>
        {
            o.SetAddress(DhcpOptionCode.RequestedAddress, ack.Message.YourAddress);
            o.SetAddress(DhcpOptionCode.ServerIdentifier, Ip("10.0.0.1"));
        });

        Assert.Null(await RespondAsync(decline));
        var lease = await Store.Leases.GetAsync(Text(ack.Message.YourAddress));
        Assert.Equal(LeaseState.Declined, lease!.State);
        Assert.Equal(_time.GetUtcNow().AddSeconds(600), lease.ExpiresAt);
        var next = await RespondAsync(Discover(Mac, 4, o => o.SetAddress(DhcpOptionCode.RequestedAddress, ack.Message.YourAddress)));
        Assert.NotEqual(ack.Message.YourAddress, next!.Message.YourAddress);
    }

    [Fact]
    public async Task A_release_ends_the_lease()
    {
        var ack = await FullExchangeAsync(Mac);
        var release = Build(DhcpMessageType.Release, Mac, 5, o => o.SetAddress(DhcpOptionCode.ServerIdentifier, Ip("10.0.0.1")));
        release.ClientAddress = ack.Message.YourAddress;

        Assert.Null(await RespondAsync(release));
        Assert.Equal(LeaseState.Released, (await Store.Leases.GetAsync(Text(ack.Message.YourAddress)))!.State);
    }

    [Fact]
    public async Task Inform_is_answered_with_options_but_no_lease()
    {
        var inform = Build(DhcpMessageType.Inform, Mac, 6, null);
        inform.ClientAddress = Ip("10.0.0.50");

        var reply = await RespondAsync(inform);

        Assert.Equal(DhcpMessageType.Ack, reply!.Message.MessageType);
        Assert.Equal(0u, reply.Message.YourAddress);
        Assert.False(reply.Message.Options.Contains(DhcpOptionCode.LeaseTime));
        Assert.Equal("10.0.0.1", Format(reply.Message, DhcpOptionCode.Router));
        Assert.Equal((DhcpReplyTarget.Client, "10.0.0.50"), (reply.Target, Text(reply.Address)));
        Assert.Empty(await Store.Leases.ListAsync());
    }

    [Fact]
    public async Task An_exhausted_pool_reuses_the_longest_expired_lease()
    {
        for (var i = 0; i < 11; i++)
        {
            await FullExchangeAsync($"52:54:00:00:01:{i:x2}");
        }
        Assert.Null(await RespondAsync(Discover(Mac)));
        _time.Advance(TimeSpan.FromSeconds(601));

        var offer = await RespondAsync(Discover(Mac));

        Assert.Equal("10.0.0.100", Text(offer!.Message.YourAddress));
    }

    [Fact]
    public async Task A_bios_pxe_client_of_a_known_machine_gets_undionly_over_tftp()
    {
        await Store.Objects.CreateAsync(new Machine { Uuid = Guid.NewGuid().ToString(), Name = "m1", HardwareAddrs = [Mac] });

        var offer = await RespondAsync(Discover(Mac, options: Pxe(0)));

        Assert.Equal("undionly.kpxe", offer!.Message.BootFileName);
        Assert.Equal("undionly.kpxe", offer.Message.Options.GetText(DhcpOptionCode.BootFileName));
        Assert.Equal("10.0.0.1", Text(offer.Message.NextServerAddress));
        Assert.Equal("PXEClient", offer.Message.Options.GetText(DhcpOptionCode.VendorClass));
    }

    [Fact]
    public async Task A_uefi_http_client_gets_a_url_and_httpclient_echoed()
    {
        var offer = await RespondAsync(Discover(Mac, options: Pxe(16, "HTTPClient:Arch:00016:UNDI:003001")));

        Assert.Equal("http://10.0.0.1:8091/ipxe.efi", offer!.Message.Options.GetText(DhcpOptionCode.BootFileName));
        Assert.Equal("HTTPClient", offer.Message.Options.GetText(DhcpOptionCode.VendorClass));
    }

    [Fact]
    public async Task Ipxe_gets_its_script_url_on_the_advertised_address()
    {
        var context = OnLab with { ServerAddress = Ip("10.0.0.1") };

        var offer = await _responder.RespondAsync(Discover(Mac, options: Pxe(7, "PXEClient:Arch:00007:UNDI:003016", ipxe: true)), context);

        Assert.Equal($"http://10.0.0.1:8091/boot/{Mac}.ipxe", offer!.Message.Options.GetText(DhcpOptionCode.BootFileName));
    }

    [Fact]
    public async Task An_unknown_pxe_machine_is_created_as_discovered()
    {
        var client = Pxe(7, "PXEClient:Arch:00007:UNDI:003000");
        await RespondAsync(Discover(Mac, options: o =>
        {
            client(o);
            o.Set(DhcpOptionCode.ClientMachineIdentifier, [0, .. Guid.Parse("8e3ec0a1-b2c3-4d5e-9f00-112233445566").ToByteArray(bigEndian: true)]);
        }));

        var machine = await Store.Objects.FindMachineByMacAsync(Mac);
        Assert.NotNull(machine);
        Assert.Equal(MachineState.Discovered, machine.State);
        Assert.Equal("discovery", machine.BootEnv);
        Assert.Equal("amd64", machine.Arch);
        Assert.Equal("8e3ec0a1-b2c3-4d5e-9f00-112233445566", machine.ClientUuid);
    }

    [Fact]
    public async Task A_flood_of_unknown_pxe_macs_creates_only_the_rate_limited_number_of_machines()
    {
        var responder = await ResponderAsync(ratePerSecond: 1, burst: 20);
        var clock = Stopwatch.StartNew();
        await Store.Objects.CreateAsync(new Subnet { Name = "proxied", Cidr = "10.5.0.0/24", Proxy = true });
        var proxied = DhcpReceiveContext.Broadcast(Ip("10.5.0.1"));
        for (var i = 0; i < 200; i++)
        {
            var offer = await responder.RespondAsync(Discover($"02:00:00:00:{i / 256:x2}:{i % 256:x2}", (uint)i, Pxe(0)), proxied);
            Assert.NotNull(offer);
        }

        // The burst, and at most one more per second the flood took (the limiter refills on the wall clock).
        Assert.InRange(await Store.Objects.CountAsync(ObjectKind.Machines), 20, 20 + (long)Math.Ceiling(clock.Elapsed.TotalSeconds));
    }

    [Fact]
    public async Task Past_the_cap_on_unclaimed_discovered_machines_unknown_pxe_machines_are_neither_created_nor_booted()
    {
        var responder = await ResponderAsync(maxUnclaimed: 3);
        await Store.Objects.CreateAsync(new Subnet { Name = "proxied", Cidr = "10.5.0.0/24", Proxy = true });
        var proxied = DhcpReceiveContext.Broadcast(Ip("10.5.0.1"));
        var booted = 0;
        for (var i = 0; i < 10; i++)
        {
            if (await responder.RespondAsync(Discover($"02:00:00:00:00:{i:x2}", (uint)i, Pxe(0)), proxied) is not null)
            {
                booted++;
            }
        }

        Assert.Equal(3, booted);
        Assert.Equal(3, await Store.Objects.CountAsync(ObjectKind.Machines));
    }

    [Fact]
    public async Task Discovered_machines_never_claimed_are_deleted_once_unchanged_for_the_discovery_expiry()
    {
        var inventory = await ServerDiscovery.InventoryAsync(Store, _time);
        using var discovery = new RebarProvision.Server.Machines.Discovery(inventory, new RebarProvision.Server.Configuration.ServerOptions(), _meters.Factory);
        await discovery.FindOrDiscoverAsync("02:00:00:00:00:01");
        _time.Advance(TimeSpan.FromDays(6));
        await discovery.FindOrDiscoverAsync("02:00:00:00:00:02");
        _time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));
        using var singleton = new RebarProvision.Server.Cluster.SingletonWork(null, NullLogger<RebarProvision.Server.Cluster.SingletonWork>.Instance);
        using var job = new RebarProvision.Server.Machines.StaleDiscoveries(inventory, new RebarProvision.Server.Configuration.ServerOptions(), _time,
            NullLogger<RebarProvision.Server.Machines.StaleDiscoveries>.Instance, singleton);

        Assert.Equal(1, await job.RunOnceAsync(CancellationToken.None));
        Assert.Null(await Store.Objects.FindMachineByMacAsync("02:00:00:00:00:01"));
        Assert.NotNull(await Store.Objects.FindMachineByMacAsync("02:00:00:00:00:02"));
    }

    [Fact]
    public async Task Under_the_ignore_policy_unknown_machines_get_an_address_but_no_boot_file()
    {
        var responder = await ResponderAsync(policy: "ignore");

        var offer = await responder.RespondAsync(Discover(Mac, options: Pxe(0)), OnLab);

        Assert.Equal("10.0.0.100", Text(offer!.Message.YourAddress));
        Assert.Equal("", offer.Message.BootFileName);
        Assert.False(offer.Message.Options.Contains(DhcpOptionCode.BootFileName));
        Assert.Equal(0, await Store.Objects.CountAsync(ObjectKind.Machines));
    }

    [Fact]
    public async Task A_proxy_subnet_answers_pxe_clients_without_an_address_and_is_silent_to_others()
    {
        await Store.Objects.CreateAsync(new Subnet { Name = "proxied", Cidr = "10.5.0.0/24", Proxy = true });
        var context = DhcpReceiveContext.Broadcast(Ip("10.5.0.1"));

        var pxe = await _responder.RespondAsync(Discover(Mac, options: Pxe(0)), context);
        var plain = await _responder.RespondAsync(Discover("52:54:00:00:00:02"), context);

        Assert.Equal(0u, pxe!.Message.YourAddress);
        Assert.Equal("undionly.kpxe", pxe.Message.BootFileName);
        Assert.Equal("PXEClient", pxe.Message.Options.GetText(DhcpOptionCode.VendorClass));
        Assert.Null(plain);
        Assert.Empty(await Store.Leases.ListAsync());
    }

    [Fact]
    public async Task The_boot_server_port_answers_a_pxe_request_back_to_its_sender()
    {
        var request = Request(Mac, options: Pxe(7, "PXEClient:Arch:00007:UNDI:003000"));
        request.ClientAddress = Ip("10.9.9.9");
        var context = new DhcpReceiveContext(Ip("10.0.0.1"), Ip("10.0.0.1"), ProxyPort: true, SenderAddress: Ip("10.9.9.9"), SenderPort: 4011);

        var ack = await _responder.RespondAsync(request, context);

        Assert.Equal(DhcpMessageType.Ack, ack!.Message.MessageType);
        Assert.Equal("ipxe.efi", ack.Message.BootFileName);
        Assert.Equal((DhcpReplyTarget.Sender, "10.9.9.9", 4011), (ack.Target, Text(ack.Address), ack.Port));
    }

    [Fact]
    public async Task An_unmanaged_subnet_never_hands_out_addresses()
    {
        await Store.Objects.CreateAsync(new Subnet { Name = "unmanaged", Cidr = "10.6.0.0/24", ActiveStart = "10.6.0.10", ActiveEnd = "10.6.0.20", Unmanaged = true });
        var context = DhcpReceiveContext.Broadcast(Ip("10.6.0.1"));

        var pxe = await _responder.RespondAsync(Discover(Mac, options: Pxe(0)), context);
        var plain = await _responder.RespondAsync(Discover("52:54:00:00:00:02"), context);

        Assert.Equal(0u, pxe!.Message.YourAddress);
        Assert.Null(plain);
    }

    [Fact]
    public async Task Requests_from_networks_we_do_not_serve_are_not_answered()
    {
        var context = DhcpReceiveContext.Broadcast(Ip("172.16.0.1"));
        Assert.Null(await _responder.RespondAsync(Discover(Mac), context));
    }

    /// <summary>The responder as the server builds it, with the server's unknown-machine path (<see cref="ServerDiscovery"/>).</summary>
    private async Task<DhcpResponder> ResponderAsync(string policy = "discovery", int ratePerSecond = 20, int burst = 200, int maxUnclaimed = 1000)
    {
        var discovery = await ServerDiscovery.CreateAsync(Store, _time, _meters.Factory, policy, ratePerSecond, burst, maxUnclaimed);
        _discoveries.Add(discovery);
        return new(Store, discovery, _peers, _options, _metrics, _time, NullLogger<DhcpResponder>.Instance);
    }

    private async Task<DhcpReply> FullExchangeAsync(string mac)
    {
        var offer = await RespondAsync(Discover(mac));
        Assert.NotNull(offer);
        var ack = await RespondAsync(Request(mac, 2, o =>
        {
            o.SetAddress(DhcpOptionCode.RequestedAddress, offer.Message.YourAddress);
            o.SetAddress(DhcpOptionCode.ServerIdentifier, Ip("10.0.0.1"));
        }));
        Assert.NotNull(ack);
        Assert.Equal(DhcpMessageType.Ack, ack.Message.MessageType);
        return ack;
    }

    private async Task<DhcpReply?> RespondAsync(DhcpMessage request)
    {
        var reply = await _responder.RespondAsync(request, OnLab);
        if (reply is not null)
        {
            // Every reply must also survive the wire within the default maximum size.
            Assert.True(reply.Message.TryWrite(new byte[1500], DhcpMessage.DefaultMaxLength, out _));
        }
        return reply;
    }

    private static string Format(DhcpMessage message, byte code) => DhcpOptionTable.Find(code).Format(message.Options.Get(code));
}
