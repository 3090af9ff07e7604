using System.Text.Json.Nodes;
using RebarProvision.Cli.Events;
using RebarProvision.Cli.Http;
using RebarProvision.Cli.Input;

namespace RebarProvision.Cli.Machines;

/// <summary>
/// Waits for a machine to reach a state: follows its events (SSE) and checks the machine on each; falls back to
/// polling it every second when the stream is refused or ends. A machine that fails exits 3, a wait that runs out
/// exits 4.
/// </summary>
public sealed class MachineWaiter(RebarClient client, TextWriter log)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    private string? _lastState;

    /// <param name="machine">The machine's uuid (events are keyed by it).</param>
    /// <returns>The machine as last seen, in the wanted state.</returns>
    /// <exception cref="CommandFailedException">It failed (exit 3) or the time ran out (exit 4).</exception>
    public async Task<JsonObject> WaitAsync(string machine, string wantedState, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        JsonObject? last = null;
        try
        {
            try
            {
                using var events = await EventSubscription.OpenAsync(client, "machine.*", machine, null, deadline.Token);
                // Subscribed: check once, so a change made before the subscription started is not missed.
                last = await CheckAsync(machine, wantedState, deadline.Token);
                if (IsDone(last, wantedState))
                {
                    return last;
                }
                await foreach (var _ in events.ReadAsync(deadline.Token))
                {
                    last = await CheckAsync(machine, wantedState, deadline.Token);
                    if (IsDone(last, wantedState))
                    {
                        return last;
                    }
                }
                await log.WriteLineAsync("the event stream closed; polling the machine every second");
            }
            catch (Exception e) when (e is ApiException or HttpRequestException or IOException && !deadline.IsCancellationRequested)
            {
                await log.WriteLineAsync($"cannot follow events ({FirstLine(e.Message)}); polling the machine every second");
            }
            while (true)
            {
                last = await CheckAsync(machine, wantedState, deadline.Token);
                if (IsDone(last, wantedState))
                {
                    return last;
                }
                await Task.Delay(PollInterval, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            var now = last is null ? "" : $"; it is {State(last)}{Message(last)}";
            throw new CommandFailedException(ExitCodes.Timeout,
                $"timed out after {Duration.Format(timeout)} waiting for machine {Name(last, machine)} to be {wantedState}{now}");
        }
    }

    /// <summary>Reads the machine, says so when its state changed, and stops the wait when it failed.</summary>
    private async Task<JsonObject> CheckAsync(string machine, string wantedState, CancellationToken cancellationToken)
    {
        var response = await client.GetAsync(ApiPath.Object("machines", machine), cancellationToken);
        var current = response.Json() as JsonObject ?? throw new CommandFailedException(ExitCodes.ApiError, "the server did not answer a machine");
        var state = State(current);
        if (state != _lastState)
        {
            _lastState = state;
            await log.WriteLineAsync($"machine {Name(current, machine)} is {state}{Message(current)}");
        }
        if (state == "failed" && wantedState != "failed")
        {
            throw new CommandFailedException(ExitCodes.MachineFailed,
                $"machine {Name(current, machine)} failed: {current["stateMessage"]?.ToString() ?? "no message"}");
        }
        return current;
    }

    private static bool IsDone(JsonObject machine, string wantedState) => State(machine) == wantedState;

    private static string State(JsonObject machine) => machine["state"]?.ToString() ?? "unknown";

    private static string Message(JsonObject machine) => machine["stateMessage"] is { } m ? $" ({m})" : "";

    private static string Name(JsonObject? machine, string fallback) => machine?["name"]?.ToString() ?? fallback;

    private static string FirstLine(string text) => text.Split('\n', 2)[0];
}
