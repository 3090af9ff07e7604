using System.Text.Json.Nodes;
using RebarProvision.Cli.Http;
using RebarProvision.Cli.Input;

namespace RebarProvision.Cli.Machines;

/// <summary>
/// Follows a rolling reimage until it ends, saying on the log each time one of its machines changes state. A
/// rollout that succeeds returns; one that failed or was stopped exits 3 (its machines did not all install); a wait
/// that runs out exits 4 and leaves the rollout running on the server.
/// </summary>
public sealed class RolloutWaiter(RebarClient client, TextWriter log)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    private readonly Dictionary<string, string> _seen = new(StringComparer.Ordinal);

    /// <returns>The rollout as it ended, succeeded.</returns>
    /// <exception cref="CommandFailedException">It failed or was stopped (exit 3), or the time ran out (exit 4).</exception>
    public async Task<JsonObject> WaitAsync(string id, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        JsonObject? last = null;
        try
        {
            while (true)
            {
                last = (await client.GetAsync(ApiPath.Object("rollouts", id), deadline.Token)).Json() as JsonObject
                    ?? throw new CommandFailedException(ExitCodes.ApiError, "the server did not answer a rollout");
                await ReportChangesAsync(last);
                switch (Text(last, "state"))
                {
                    case "running":
                        break;
                    case "succeeded":
                        await log.WriteLineAsync($"rollout {id} succeeded: {Text(last, "stateMessage")}");
                        return last;
                    default:
                        throw new CommandFailedException(ExitCodes.MachineFailed, $"rollout {id} {Text(last, "state")}: {Text(last, "stateMessage")}");
                }
                await Task.Delay(PollInterval, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            var installed = last?["machines"]?.AsArray().Count(m => Text(m, "state") == "installed") ?? 0;
            var total = last?["machines"]?.AsArray().Count ?? 0;
            throw new CommandFailedException(ExitCodes.Timeout,
                $"timed out after {Duration.Format(timeout)} waiting for rollout {id} ({installed} of {total} machines installed); it goes on on the server: stop it with 'rebarctl rollouts stop {id}'");
        }
    }

    private async Task ReportChangesAsync(JsonObject rollout)
    {
        foreach (var machine in rollout["machines"]?.AsArray().OfType<JsonObject>() ?? [])
        {
            var name = Text(machine, "name");
            var state = Text(machine, "state");
            if (_seen.GetValueOrDefault(name) == state)
            {
                continue;
            }
            _seen[name] = state;
            var message = machine["message"] is { } m ? $": {m}" : "";
            await log.WriteLineAsync(state switch
            {
                "failed" => $"machine {name} failed{message}",
                _ => $"machine {name} is {state}{message}",
            });
        }
    }

    private static string Text(JsonNode? node, string field) => node?[field]?.ToString() ?? "unknown";
}
