using System.CommandLine;
using RebarProvision.Cli.Http;
using RebarProvision.Cli.Output;

namespace RebarProvision.Cli.Commands;

/// <summary><c>rollouts stop</c>, beside the list, show and delete every kind has.</summary>
public static class RolloutCommands
{
    public static void AddTo(Command rollouts, CommandAction action)
    {
        var id = new Argument<string>("id") { Description = "the rollout's id" };
        var stop = new Command("stop", "Stop a rollout: machines not yet started are skipped; those reimaging finish on their own") { id };
        action.Bind(stop, async (context, ct) =>
        {
            var response = await context.Client.SendAsync(HttpMethod.Post, $"{ApiPath.Object("rollouts", context.Value(id))}/stop", "{}", "application/json", ct);
            var stopped = response.Json();
            var reimaging = stopped["machines"]?.AsArray().Where(m => m?["state"]?.ToString() == "reimaging").Select(m => m?["name"]?.ToString()).ToList() ?? [];
            await context.Error.WriteLineAsync($"rollout {stopped["id"]} stopped" + (reimaging.Count > 0 ? $"; still reimaging: {string.Join(", ", reimaging)}" : ""));
            if (context.FormatGiven)
            {
                context.Output(OutputFormat.Yaml).WriteObject(stopped, ApiKind.Rollouts.Columns);
            }
            return ExitCodes.Ok;
        });
        rollouts.Add(stop);
    }
}
