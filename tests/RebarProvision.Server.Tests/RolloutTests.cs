using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using RebarProvision.Testing;

namespace RebarProvision.Server.Tests;

/// <summary>
/// Rolling reimage (issue #15) with simulated machines whose installers answer on the boot port: the waves, the
/// failure policy, the per-machine timeout, stopping, and the refusals.
/// </summary>
public sealed class RolloutTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Six_machines_roll_two_at_a_time_never_more_than_two_out_of_installed_and_the_record_survives_a_restart()
    {
        var fleet = await SimulatedFleet.CreateAsync(_server.Api, 6);
        var before = await RolloutHistory.LastEventIdAsync(_server.Api);
        var installer = FakeInstaller.For(_server);

        var created = await StartAsync("""{"selector":{"profile":"k8s-workers"},"bootEnv":"installer","maxUnavailable":2}""");
        Assert.Equal("running", created["state"]!.GetValue<string>());
        Assert.Equal(fleet.Names, created["machines"]!.AsArray().Select(m => m!["name"]!.GetValue<string>()));
        var id = created["id"]!.GetValue<string>();
        var done = await WaitForAsync(id, r => r["state"]!.GetValue<string>() != "running");
        await installer.DisposeAsync();

        Assert.Equal("succeeded", done["state"]!.GetValue<string>());
        Assert.Equal(6, installer.Answered.Count);
        Assert.All(done["machines"]!.AsArray(), m => Assert.Equal("installed", m!["state"]!.GetValue<string>()));
        foreach (var name in fleet.Names)
        {
            Assert.Equal("installed", (await MachineAsync(name))["state"]!.GetValue<string>());
        }
        // From the recorded transitions: at most two out of installed at any moment, and two at some moment.
        var history = await RolloutHistory.ReadAsync(_server.Api, fleet.Uuids, before);
        Assert.Equal(2, history.MostOutOfInstalled());
        Assert.Equal(fleet.Names, history.Reimaged());
        var rolloutEvents = await RolloutHistory.EventsAsync(_server.Api, $"events?key={id}&after={before}");
        Assert.Equal("rollout.created", rolloutEvents[0]!["kind"]!.GetValue<string>());
        Assert.Equal("succeeded", rolloutEvents[^1]!["object"]!["state"]!.GetValue<string>());

        await _server.StartAgainAsync();
        var again = await (await (await _server.Api.GetAsync($"rollouts/{id}")).Expect(HttpStatusCode.OK)).JsonAsync();
        Assert.Equal("succeeded", again["state"]!.GetValue<string>());
        Assert.Equal(6, again["machines"]!.AsArray().Count(m => m!["state"]!.GetValue<string>() == "installed"));
        var listed = await (await (await _server.Api.GetAsync("rollouts?state=succeeded")).Expect(HttpStatusCode.OK)).JsonAsync();
        Assert.Equal(id, Assert.Single(listed.AsArray())!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_machine_that_reports_failed_stops_the_rollout_and_no_further_machine_is_reimaged()
    {
        var fleet = await SimulatedFleet.CreateAsync(_server.Api, 4);
        var before = await RolloutHistory.LastEventIdAsync(_server.Api);
        await using var installer = FakeInstaller.For(_server, name => name == "m2" ? "failed" : "installed");

        var id = (await StartAsync("""{"selector":{"profile":"k8s-workers"},"bootEnv":"installer"}"""))["id"]!.GetValue<string>();
        var done = await WaitForAsync(id, r => r["state"]!.GetValue<string>() != "running");

        Assert.Equal("failed", done["state"]!.GetValue<string>());
        Assert.Contains("machine m2 failed (the fake installer of m2 says failed)", done["stateMessage"]!.GetValue<string>());
        Assert.Equal(["installed", "failed", "skipped", "skipped"], MachineStates(done));
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(["m1", "m2"], (await RolloutHistory.ReadAsync(_server.Api, fleet.Uuids, before)).Reimaged());
        Assert.Equal("installed", (await MachineAsync("m3"))["state"]!.GetValue<string>());
        Assert.Equal("installed", (await MachineAsync("m4"))["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task With_continue_on_failure_the_other_machines_still_go_and_the_rollout_ends_failed()
    {
        var fleet = await SimulatedFleet.CreateAsync(_server.Api, 4);
        var before = await RolloutHistory.LastEventIdAsync(_server.Api);
        await using var installer = FakeInstaller.For(_server, name => name == "m2" ? "failed" : "installed");

        var id = (await StartAsync("""{"selector":{"names":["m1","m2","m3","m4"]},"bootEnv":"installer","onFailure":"continue"}"""))["id"]!.GetValue<string>();
        var done = await WaitForAsync(id, r => r["state"]!.GetValue<string>() != "running");

        Assert.Equal("failed", done["state"]!.GetValue<string>());
        Assert.Equal("1 of 4 machines failed", done["stateMessage"]!.GetValue<string>());
        Assert.Equal(["installed", "failed", "installed", "installed"], MachineStates(done));
        var history = await RolloutHistory.ReadAsync(_server.Api, fleet.Uuids, before);
        Assert.Equal(fleet.Names, history.Reimaged());
        Assert.Equal(1, history.MostOutOfInstalled(countFailedAsOut: false));
    }

    [Fact]
    public async Task A_machine_not_installed_within_the_machine_timeout_counts_as_failed_and_stops_the_rollout()
    {
        await SimulatedFleet.CreateAsync(_server.Api, 2);
        await using var installer = FakeInstaller.For(_server, _ => null);
        var clock = Stopwatch.StartNew();

        var id = (await StartAsync("""{"selector":{"profile":"k8s-workers"},"bootEnv":"installer","machineTimeoutSeconds":2}"""))["id"]!.GetValue<string>();
        var done = await WaitForAsync(id, r => r["state"]!.GetValue<string>() != "running");

        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2), $"failed after {clock.Elapsed}");
        Assert.Equal("failed", done["state"]!.GetValue<string>());
        Assert.Equal(["failed", "skipped"], MachineStates(done));
        var expected = $"rollout {id}: not installed within 2s of its reimage";
        Assert.Equal(expected, done["machines"]![0]!["message"]!.GetValue<string>());
        var m1 = await MachineAsync("m1");
        Assert.Equal("failed", m1["state"]!.GetValue<string>());
        Assert.Equal(expected, m1["stateMessage"]!.GetValue<string>());
        Assert.Equal("installed", (await MachineAsync("m2"))["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task Stopping_skips_the_machines_not_yet_started_and_still_follows_the_one_reimaging()
    {
        await SimulatedFleet.CreateAsync(_server.Api, 3);
        await using var installer = FakeInstaller.For(_server, _ => null);
        var id = (await StartAsync("""{"selector":{"profile":"k8s-workers"},"bootEnv":"installer"}"""))["id"]!.GetValue<string>();
        await WaitForAsync(id, r => r["machines"]![0]!["reimagedRevision"] is not null);

        var stopped = await (await (await _server.Api.PostAsync($"rollouts/{id}/stop", null)).Expect(HttpStatusCode.OK)).JsonAsync();

        Assert.Equal("stopped", stopped["state"]!.GetValue<string>());
        Assert.Equal("stopped by admin", stopped["stateMessage"]!.GetValue<string>());
        Assert.Equal(["reimaging", "skipped", "skipped"], MachineStates(stopped));
        await (await _server.Api.PostAsync($"rollouts/{id}/stop", null)).Expect(HttpStatusCode.Conflict);
        await (await _server.Api.DeleteAsync($"rollouts/{id}")).Expect(HttpStatusCode.Conflict);

        installer.Outcome = _ => "installed";
        await (await _server.Api.PostJsonAsync($"machines/m1/reimage", """{"bootEnv":"installer"}""")).Expect(HttpStatusCode.OK);
        var followed = await WaitForAsync(id, r => r["machines"]![0]!["state"]!.GetValue<string>() != "reimaging");
        Assert.Equal(["installed", "skipped", "skipped"], MachineStates(followed));
        Assert.Equal("stopped", followed["state"]!.GetValue<string>());
        Assert.Equal("installed", (await MachineAsync("m1"))["state"]!.GetValue<string>());
        Assert.Equal("installed", (await MachineAsync("m2"))["state"]!.GetValue<string>());

        await (await _server.Api.DeleteAsync($"rollouts/{id}")).Expect(HttpStatusCode.OK);
        await (await _server.Api.GetAsync($"rollouts/{id}")).Expect(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("""{"selector":{"profile":"k8s-workers"},"bootEnv":"no-such-env"}""", "bootEnv", "bootenv 'no-such-env' does not exist")]
    [InlineData("""{"selector":{"profile":"k8s-workers"}}""", "bootEnv", "is required")]
    [InlineData("""{"selector":{"profile":"k8s-workers"},"bootEnv":"installer","maxUnavailable":0}""", "maxUnavailable", "must be at least 1")]
    [InlineData("""{"selector":{},"bootEnv":"installer"}""", "selector", "is required")]
    [InlineData("""{"bootEnv":"installer"}""", "selector", "is required")]
    [InlineData("""{"selector":{"profile":"no-such-profile"},"bootEnv":"installer"}""", "selector", "matches no machine")]
    [InlineData("""{"selector":{"rack":"r1"},"bootEnv":"installer"}""", "selector.rack", "is not a selector field")]
    [InlineData("""{"selector":{"names":["m1","ghost"]},"bootEnv":"installer"}""", "selector.names[1]", "machine 'ghost' does not exist")]
    [InlineData("""{"selector":{"profile":"k8s-workers"},"bootEnv":"installer","onFailure":"sometimes"}""", "onFailure", "must be stop or continue")]
    [InlineData("""{"selector":{"profile":"k8s-workers"},"bootEnv":"installer","machineTimeoutSeconds":0}""", "machineTimeoutSeconds", "must be at least 1")]
    [InlineData("""{"selector":{"profile":"k8s-workers"},"bootEnv":"installer","power":true}""", "power", "has no power endpoint")]
    public async Task Invalid_input_is_a_problem_naming_the_field_and_starts_nothing(string body, string field, string message)
    {
        await SimulatedFleet.CreateAsync(_server.Api, 2);

        var response = await _server.Api.PostJsonAsync("machines/reimage", body);

        await response.Expect(HttpStatusCode.BadRequest);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = (await response.JsonAsync())["errors"]!.AsObject();
        Assert.True(errors.ContainsKey(field), errors.ToJsonString());
        Assert.Contains(message, errors[field]![0]!.GetValue<string>());
        Assert.Empty((await (await _server.Api.GetAsync("rollouts")).JsonAsync()).AsArray());
    }

    [Fact]
    public async Task A_machine_in_an_active_rollout_cannot_join_another_and_rollouts_are_not_written_as_documents()
    {
        await SimulatedFleet.CreateAsync(_server.Api, 2);
        var id = (await StartAsync("""{"selector":{"names":["m1"]},"bootEnv":"installer"}"""))["id"]!.GetValue<string>();

        var conflict = await _server.Api.PostJsonAsync("machines/reimage", """{"selector":{"profile":"k8s-workers"},"bootEnv":"installer"}""");

        await conflict.Expect(HttpStatusCode.Conflict);
        Assert.Contains($"machine m1 is already in rollout {id}", (await conflict.JsonAsync())["detail"]!.GetValue<string>());
        await (await _server.Api.PutJsonAsync($"rollouts/{id}", """{"id":"x","state":"succeeded"}""")).Expect(HttpStatusCode.MethodNotAllowed);
        await (await _server.Api.PostJsonAsync("rollouts", """{"id":"x"}""")).Expect(HttpStatusCode.MethodNotAllowed);
    }

    private async Task<JsonNode> StartAsync(string body)
    {
        var response = await (await _server.Api.PostJsonAsync("machines/reimage", body)).Expect(HttpStatusCode.Created);
        var rollout = await response.JsonAsync();
        Assert.Equal($"/api/v1/rollouts/{rollout["id"]}", response.Headers.Location?.ToString());
        return rollout;
    }

    private async Task<JsonNode> WaitForAsync(string id, Func<JsonNode, bool> done)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var rollout = await (await (await _server.Api.GetAsync($"rollouts/{id}")).Expect(HttpStatusCode.OK)).JsonAsync();
            if (done(rollout))
            {
                return rollout;
            }
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(90), $"rollout {id} did not get there: {rollout.ToJsonString()}");
            await Task.Delay(100);
        }
    }

    private async Task<JsonNode> MachineAsync(string name) =>
        await (await (await _server.Api.GetAsync($"machines/{name}")).Expect(HttpStatusCode.OK)).JsonAsync();

    private static List<string> MachineStates(JsonNode rollout) =>
        [.. rollout["machines"]!.AsArray().Select(m => m!["state"]!.GetValue<string>())];
}
