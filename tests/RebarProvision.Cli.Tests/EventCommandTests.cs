using System.Text.Json.Nodes;

namespace RebarProvision.Cli.Tests;

public sealed class EventCommandTests : CliTest
{
    private static async Task UntilAsync(Func<bool> condition, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Creates throwaway profiles until the watch prints one, so the watch is surely subscribed however loaded the
    /// machine is; the tests then ignore the probes' lines.
    /// </summary>
    private async Task WaitUntilWatchingAsync(CapturedOutput stdout)
    {
        for (var i = 0; i < 50 && !stdout.ToString().Contains(Probe, StringComparison.Ordinal); i++)
        {
            (await Cli.RunAsync("profiles", "create", "-f", File($"{Probe}{i}.yaml", $"name: {Probe}{i}\n"))).Expect(0);
            await UntilAsync(() => stdout.ToString().Contains(Probe, StringComparison.Ordinal), TimeSpan.FromMilliseconds(300));
        }
        Assert.Contains(Probe, stdout.ToString(), StringComparison.Ordinal);
    }

    private const string Probe = "watch-probe";

    private static string[] LinesAfterProbes(CapturedOutput stdout) =>
        stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.Contains(Probe, StringComparison.Ordinal)).ToArray();

    [Fact]
    public async Task Watch_prints_each_matching_event_as_it_happens_until_cancelled()
    {
        using var stdout = new CapturedOutput();
        using var stderr = new CapturedOutput();
        using var stop = new CancellationTokenSource();
        var watch = Program.RunAsync(["events", "watch", "--kind", "profile.*"], stdout, stderr, Cli.Environment(), stop.Token);
        await WaitUntilWatchingAsync(stdout);

        (await Cli.RunAsync("profiles", "create", "-f", File("p.yaml", "name: rack1\n"))).Expect(0);
        (await Cli.RunAsync("bootenvs", "create", "-f", File("b.yaml", "name: other\n"))).Expect(0);
        (await Cli.RunAsync("profiles", "delete", "rack1")).Expect(0);
        await UntilAsync(() => LinesAfterProbes(stdout).Length >= 2, TimeSpan.FromSeconds(10));
        await stop.CancelAsync();
        var code = await watch.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(ExitCodes.Ok, code);
        var lines = LinesAfterProbes(stdout);
        Assert.Equal(2, lines.Length);
        Assert.Matches(@"  profile\.\w+  rack1  by ", lines[0]);
        Assert.DoesNotContain(lines, l => l.Contains("other", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Watch_with_json_output_prints_one_JSON_event_per_line()
    {
        using var stdout = new CapturedOutput();
        using var stop = new CancellationTokenSource();
        using var stderr = new CapturedOutput();
        var watch = Program.RunAsync(["events", "watch", "-o", "json", "--kind", "profile.*"], stdout, stderr, Cli.Environment(), stop.Token);
        await WaitUntilWatchingAsync(stdout);

        (await Cli.RunAsync("profiles", "create", "-f", File("p.yaml", "name: rack1\n"))).Expect(0);
        await UntilAsync(() => LinesAfterProbes(stdout).Length >= 1, TimeSpan.FromSeconds(10));
        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Ok, await watch.WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.All(stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries), line => JsonNode.Parse(line));
        var value = JsonNode.Parse(LinesAfterProbes(stdout)[0])!;
        Assert.Equal("rack1", value["key"]!.GetValue<string>());
        Assert.StartsWith("profile.", value["kind"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_shows_stored_events_filtered_by_key()
    {
        (await Cli.RunAsync("profiles", "create", "-f", File("p.yaml", "name: rack1\n"))).Expect(0);
        (await Cli.RunAsync("profiles", "create", "-f", File("q.yaml", "name: rack2\n"))).Expect(0);

        var run = (await Cli.RunAsync("events", "list", "--key", "rack2")).Expect(0);

        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^ID\s+TIME\s+KIND\s+KEY\s+ACTOR$", lines[0]);
        Assert.Single(lines[1..]);
        Assert.Contains("rack2", lines[1]);
    }
}
