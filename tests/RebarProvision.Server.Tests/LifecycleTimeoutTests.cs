using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using RebarProvision.Server.Configuration;
using RebarProvision.Server.Events;
using RebarProvision.Server.Machines;
using RebarProvision.Server.Objects;
using RebarProvision.Store;

namespace RebarProvision.Server.Tests;

/// <summary>Background jobs of the machine lifecycle: stuck provisioning machines fail, old events go.</summary>
public sealed class LifecycleTimeoutTests
{
    [Fact]
    public async Task A_machine_provisioning_longer_than_the_timeout_is_marked_failed_saying_how_long_it_waited()
    {
        await using var server = await TestServer.StartAsync();
        await (await server.Api.PostJsonAsync("bootenvs", """{"name":"tiny","kernel":"k"}""")).Expect(HttpStatusCode.Created);
        var created = await (await (await server.Api.PostJsonAsync("machines", """{"name":"m1","bootEnv":"tiny"}""")).Expect(HttpStatusCode.Created)).JsonAsync();
        Assert.Equal("provisioning", created["state"]!.GetValue<string>());
        var since = created["provisioningSince"]!.GetValue<DateTimeOffset>();

        var clock = new FakeTimeProvider(since + TimeSpan.FromMinutes(59));
        using var sweep = StuckMachinesAt(server, clock);
        Assert.Equal(0, await sweep.RunOnceAsync(CancellationToken.None));
        Assert.Equal("provisioning", (await MachineAsync(server))["state"]!.GetValue<string>());

        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, await sweep.RunOnceAsync(CancellationToken.None));

        var machine = await MachineAsync(server);
        Assert.Equal("failed", machine["state"]!.GetValue<string>());
        Assert.Contains("within 1h", machine["stateMessage"]!.GetValue<string>());
        Assert.Null(machine["provisioningSince"]);
        var events = await (await server.Api.GetAsync("events?kind=machine.updated")).JsonAsync();
        Assert.Contains(events.AsArray(), e => e!["actor"]!.GetValue<string>() == StuckMachines.Actor);
    }

    [Fact]
    public async Task The_provision_timeout_param_overrides_the_server_setting()
    {
        await using var server = await TestServer.StartAsync();
        await (await server.Api.PostJsonAsync("bootenvs", """{"name":"tiny","kernel":"k"}""")).Expect(HttpStatusCode.Created);
        await (await server.Api.PostJsonAsync("profiles", """{"name":"quick","params":{"provision/timeout":90}}""")).Expect(HttpStatusCode.Created);
        var created = await (await (await server.Api.PostJsonAsync("machines", """{"name":"m1","bootEnv":"tiny","profiles":["quick"]}""")).Expect(HttpStatusCode.Created)).JsonAsync();
        var since = created["provisioningSince"]!.GetValue<DateTimeOffset>();

        using (var sweep = StuckMachinesAt(server, new FakeTimeProvider(since + TimeSpan.FromSeconds(91))))
        {
            await sweep.RunOnceAsync(CancellationToken.None);
        }

        var machine = await MachineAsync(server);
        Assert.Equal("failed", machine["state"]!.GetValue<string>());
        Assert.Contains("within 90s", machine["stateMessage"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_machine_that_called_back_installed_is_left_alone_and_a_reimage_restarts_the_clock()
    {
        await using var server = await TestServer.StartAsync();
        await (await server.Api.PostJsonAsync("bootenvs", """{"name":"tiny","kernel":"k"}""")).Expect(HttpStatusCode.Created);
        await (await server.Api.PostJsonAsync("machines", """{"name":"m1","bootEnv":"tiny"}""")).Expect(HttpStatusCode.Created);
        await (await server.Api.PostJsonAsync("machines", """{"name":"m2","bootEnv":"tiny"}""")).Expect(HttpStatusCode.Created);
        var installed = await (await (await server.Api.PostJsonAsync("machines/m1/callback", """{"status":"installed"}""")).Expect(HttpStatusCode.OK)).JsonAsync();
        Assert.Null(installed["provisioningSince"]);
        var first = (await MachineAsync(server, "m2"))["provisioningSince"]!.GetValue<DateTimeOffset>();
        await Task.Delay(20);
        var reimaged = await (await (await server.Api.PostJsonAsync("machines/m2/reimage", """{"bootEnv":"tiny"}""")).Expect(HttpStatusCode.OK)).JsonAsync();
        var restarted = reimaged["provisioningSince"]!.GetValue<DateTimeOffset>();
        Assert.True(restarted > first);

        // An hour after the first install began but not after the reimage: nothing is stuck.
        using var sweep = StuckMachinesAt(server, new FakeTimeProvider(first + TimeSpan.FromHours(1) + (restarted - first) / 2));
        Assert.Equal(0, await sweep.RunOnceAsync(CancellationToken.None));
        Assert.Equal("installed", (await MachineAsync(server, "m1"))["state"]!.GetValue<string>());
        Assert.Equal("provisioning", (await MachineAsync(server, "m2"))["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task Events_older_than_the_retention_are_pruned_and_newer_ones_kept()
    {
        await using var server = await TestServer.StartAsync(o => o.EventRetention = TimeSpan.FromDays(7));
        await (await server.Api.PostJsonAsync("bootenvs", """{"name":"tiny","kernel":"k"}""")).Expect(HttpStatusCode.Created);
        var before = (await (await server.Api.GetAsync("events")).JsonAsync()).AsArray().Count;
        Assert.True(before > 0);

        using (var early = RetentionAt(server, new FakeTimeProvider(DateTimeOffset.UtcNow + TimeSpan.FromDays(6.9))))
        {
            Assert.Equal(0, await early.RunOnceAsync(CancellationToken.None));
        }
        Assert.Equal(before, (await (await server.Api.GetAsync("events")).JsonAsync()).AsArray().Count);

        using var late = RetentionAt(server, new FakeTimeProvider(DateTimeOffset.UtcNow + TimeSpan.FromDays(7.1)));
        Assert.Equal(before, await late.RunOnceAsync(CancellationToken.None));
        Assert.Empty((await (await server.Api.GetAsync("events")).JsonAsync()).AsArray());
    }

    [Fact]
    public void The_timeout_and_retention_settings_have_flags_and_defaults()
    {
        var defaults = ServerConfiguration.Load([], new Dictionary<string, string?>());
        Assert.Equal(TimeSpan.FromHours(1), defaults.ProvisionTimeout);
        Assert.Equal(TimeSpan.FromDays(7), defaults.EventRetention);

        var set = ServerConfiguration.Load(["--provision-timeout", "00:20:00", "--event-retention", "2.00:00:00"], new Dictionary<string, string?> { ["REBAR_PROVISION_TIMEOUT"] = "00:05:00" });
        Assert.Equal(TimeSpan.FromMinutes(20), set.ProvisionTimeout);
        Assert.Equal(TimeSpan.FromDays(2), set.EventRetention);
        Assert.Equal(TimeSpan.FromMinutes(5), ServerConfiguration.Load([], new Dictionary<string, string?> { ["REBAR_PROVISION_TIMEOUT"] = "00:05:00" }).ProvisionTimeout);
    }

    private static StuckMachines StuckMachinesAt(TestServer server, TimeProvider clock) =>
        new(server.Service<Inventory>(), server.Options, clock, NullLogger<StuckMachines>.Instance, server.Service<RebarProvision.Server.Cluster.SingletonWork>());

    private static EventRetention RetentionAt(TestServer server, TimeProvider clock) =>
        new(server.Service<IStore>(), server.Options, clock, NullLogger<EventRetention>.Instance, server.Service<RebarProvision.Server.Cluster.SingletonWork>());

    private static async Task<System.Text.Json.Nodes.JsonNode> MachineAsync(TestServer server, string name = "m1") =>
        await (await (await server.Api.GetAsync($"machines/{name}")).Expect(HttpStatusCode.OK)).JsonAsync();
}
