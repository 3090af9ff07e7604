using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RebarProvision.Server.Tests;

namespace RebarProvision.Cli.Tests;

/// <summary><c>machines reimage --selector ... --wait</c> and <c>rollouts list|show|stop</c> against simulated machines.</summary>
public sealed partial class RolloutCommandTests : CliTest
{
    [Fact]
    public async Task Reimage_with_a_selector_and_wait_rolls_through_the_machines_saying_how_each_fares_and_returns_0()
    {
        await SimulatedFleet.CreateAsync(Server.Api, 4);
        await using var installer = FakeInstaller.For(Server);

        var run = await Cli.RunAsync("machines", "reimage", "--selector", "profile=k8s-workers", "--bootenv", "installer", "--max-unavailable", "2", "--wait", "--timeout", "90s");

        run.Expect(ExitCodes.Ok);
        var id = RolloutId(run);
        Assert.Contains($"rollout {id}: reimaging 4 machines to installer, at most 2 at a time: m1, m2, m3, m4", run.Stderr);
        // Intermediate states may pass between two polls on a loaded machine; the end of each may not.
        foreach (var name in new[] { "m1", "m2", "m3", "m4" })
        {
            Assert.Contains($"machine {name} is installed", run.Stderr);
        }
        Assert.Contains($"rollout {id} succeeded: all 4 machines installed", run.Stderr);
        var rollout = await Server.Api.GetFromJsonAsync<JsonNode>($"rollouts/{id}");
        Assert.Equal("succeeded", rollout!["state"]!.GetValue<string>());
        Assert.Equal(2, rollout["maxUnavailable"]!.GetValue<int>());
    }

    [Fact]
    public async Task Reimage_with_a_selector_and_wait_exits_3_naming_the_machine_that_failed()
    {
        await SimulatedFleet.CreateAsync(Server.Api, 3);
        await using var installer = FakeInstaller.For(Server, name => name == "m2" ? "failed" : "installed");

        var run = await Cli.RunAsync("machines", "reimage", "--selector", "name=m1,m2", "--selector", "name=m3", "--bootenv", "installer", "--wait", "--timeout", "90s");

        run.Expect(ExitCodes.MachineFailed);
        var id = RolloutId(run);
        Assert.Contains("machine m2 failed: the fake installer of m2 says failed", run.Stderr);
        Assert.Contains($"error: rollout {id} failed: machine m2 failed (the fake installer of m2 says failed); no further machine was started", run.Stderr);
        Assert.Contains("machine m3 is skipped", run.Stderr);
    }

    [Fact]
    public async Task A_wait_that_runs_out_exits_4_and_the_rollout_can_be_listed_shown_and_stopped()
    {
        await SimulatedFleet.CreateAsync(Server.Api, 2);

        var run = await Cli.RunAsync("machines", "reimage", "--selector", "profile=k8s-workers", "--bootenv", "installer", "--wait", "--timeout", "2s");

        run.Expect(ExitCodes.Timeout);
        var id = RolloutId(run);
        Assert.Contains($"error: timed out after 2s waiting for rollout {id} (0 of 2 machines installed); it goes on on the server: stop it with 'rebarctl rollouts stop {id}'", run.Stderr);
        var list = (await Cli.RunAsync("rollouts", "list")).Expect(ExitCodes.Ok);
        Assert.Matches($@"{id}\s+running\s+installer\s+1\s+0/2", list.Stdout);
        var show = (await Cli.RunAsync("rollouts", "show", id, "-o", "json")).Expect(ExitCodes.Ok);
        Assert.Equal("reimaging", JsonNode.Parse(show.Stdout)!["machines"]![0]!["state"]!.GetValue<string>());

        var stop = (await Cli.RunAsync("rollouts", "stop", id)).Expect(ExitCodes.Ok);

        Assert.Contains($"rollout {id} stopped; still reimaging: m1", stop.Stderr);
        var stopped = await Server.Api.GetFromJsonAsync<JsonNode>($"rollouts/{id}");
        Assert.Equal("stopped", stopped!["state"]!.GetValue<string>());
        Assert.Equal("skipped", stopped["machines"]![1]!["state"]!.GetValue<string>());
        (await Cli.RunAsync("rollouts", "stop", id)).Expect(ExitCodes.ApiError);
    }

    [Fact]
    public async Task A_machine_and_a_selector_together_or_rollout_options_alone_are_usage_errors_and_a_bad_selector_is_the_servers_refusal()
    {
        await SimulatedFleet.CreateAsync(Server.Api, 1);

        (await Cli.RunAsync("machines", "reimage", "m1", "--selector", "profile=k8s-workers", "--bootenv", "installer")).Expect(ExitCodes.UsageError);
        (await Cli.RunAsync("machines", "reimage", "--bootenv", "installer")).Expect(ExitCodes.UsageError);
        (await Cli.RunAsync("machines", "reimage", "m1", "--bootenv", "installer", "--max-unavailable", "2")).Expect(ExitCodes.UsageError);
        (await Cli.RunAsync("machines", "reimage", "--selector", "profile", "--bootenv", "installer")).Expect(ExitCodes.UsageError);
        var refused = (await Cli.RunAsync("machines", "reimage", "--selector", "rack=r1", "--bootenv", "installer")).Expect(ExitCodes.ApiError);
        Assert.Contains("selector.rack", refused.Stderr);
        Assert.Empty((await Server.Api.GetFromJsonAsync<JsonArray>("rollouts"))!);
    }

    private static string RolloutId(CliRun run)
    {
        var match = StartedRollout().Match(run.Stderr);
        Assert.True(match.Success, run.ToString());
        return match.Groups[1].Value;
    }

    [GeneratedRegex(@"rollout (\S+): reimaging")]
    private static partial Regex StartedRollout();
}
