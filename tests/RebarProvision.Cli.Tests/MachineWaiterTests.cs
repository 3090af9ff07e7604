using Microsoft.AspNetCore.Http;

namespace RebarProvision.Cli.Tests;

/// <summary>Waiting when the event stream is not available: the machine is polled every second instead.</summary>
public sealed class MachineWaiterTests : CliTest
{
    private const string Uuid = "6f1c1f52-3a55-4c1e-9d7e-0d3f4f1b2a10";

    private static IResult Machine(string state) =>
        Results.Json(new { uuid = Uuid, name = "m1", state, stateMessage = state == "failed" ? "kernel panic" : null });

    [Fact]
    public async Task Without_an_event_stream_the_wait_polls_until_the_machine_is_installed()
    {
        var gets = 0;
        await using var api = await FakeApi.StartAsync(http =>
        {
            if (http.Request.Path.StartsWithSegments("/api/v1/events"))
            {
                return Results.Problem(statusCode: 404, title: "Not found");
            }
            return Machine(Interlocked.Increment(ref gets) < 4 ? "provisioning" : "installed");
        });

        var run = await Cli.RunAsync("machines", "wait", "m1", "--endpoint", api.Endpoint, "--timeout", "20s");

        run.Expect(ExitCodes.Ok);
        Assert.Contains("polling the machine every second", run.Stderr);
        Assert.Contains("machine m1 is installed", run.Stderr);
        Assert.Equal(4, gets);
    }

    [Fact]
    public async Task Polling_stops_with_exit_3_when_the_machine_fails()
    {
        var gets = 0;
        await using var api = await FakeApi.StartAsync(http =>
            http.Request.Path.StartsWithSegments("/api/v1/events")
                ? Results.StatusCode(405)
                : Machine(Interlocked.Increment(ref gets) < 3 ? "provisioning" : "failed"));

        var run = await Cli.RunAsync("machines", "wait", "m1", "--endpoint", api.Endpoint, "--timeout", "20s");

        run.Expect(ExitCodes.MachineFailed);
        Assert.Contains("machine m1 failed: kernel panic", run.Stderr);
    }
}
