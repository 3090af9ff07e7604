using System.CommandLine;
using System.Text.Json.Nodes;
using RebarProvision.Cli.Events;
using RebarProvision.Cli.Http;
using RebarProvision.Cli.Output;

namespace RebarProvision.Cli.Commands;

/// <summary><c>rebarctl events list</c> and <c>events watch</c>.</summary>
public static class EventCommands
{
    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(1);

    public static Command Create(CommandAction action)
    {
        var command = new Command("events", "The event log: every change to every object");
        command.Add(List(action));
        command.Add(Watch(action));
        return command;
    }

    private static Option<string?> Kind() => new("--kind") { Description = "only events of this kind; a trailing '*' matches a prefix (machine.*)" };

    private static Option<string?> Key() => new("--key") { Description = "only events about the object with this key (a machine's uuid)" };

    private static Command List(CommandAction action)
    {
        var kind = Kind();
        var key = Key();
        var limit = new Option<int?>("--limit") { Description = "at most this many events" };
        var command = new Command("list", "List stored events, oldest first") { kind, key, limit };
        action.Bind(command, async (context, ct) =>
        {
            var parameters = new List<(string, string)>();
            if (context.Value(kind) is { } k)
            {
                parameters.Add(("kind", k));
            }
            if (context.Value(key) is { } v)
            {
                parameters.Add(("key", v));
            }
            if (context.Value(limit) is { } n)
            {
                parameters.Add(("limit", n.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }
            var events = (await context.Client.GetAsync(ApiPath.Query("events", parameters), ct)).Json() as JsonArray ?? [];
            context.Output(OutputFormat.Table).WriteList(events, ApiKind.EventColumns);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Watch(CommandAction action)
    {
        var kind = Kind();
        var key = Key();
        var command = new Command("watch", "Print events as they happen, one per line (-o json: one JSON object per line), until Ctrl+C") { kind, key };
        action.Bind(command, async (context, ct) =>
        {
            var json = context.FormatGiven && context.Output(OutputFormat.Table).Format != OutputFormat.Table;
            long? after = null;
            try
            {
                // The first connection must work (exit 5 otherwise); after a drop we resume where we were.
                var subscription = await EventSubscription.OpenAsync(context.Client, context.Value(kind), context.Value(key), after, ct);
                while (true)
                {
                    using (subscription)
                    {
                        try
                        {
                            await foreach (var value in subscription.ReadAsync(ct))
                            {
                                await context.Out.WriteLineAsync(json ? value.ToJsonString() : Line(value));
                                await context.Out.FlushAsync(ct);
                            }
                        }
                        catch (Exception e) when (e is HttpRequestException or IOException)
                        {
                        }
                        after = subscription.LastId;
                    }
                    await context.Error.WriteLineAsync("the event stream closed; reconnecting");
                    subscription = await ReconnectAsync(context, context.Value(kind), context.Value(key), after, ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Ctrl+C is how a watch ends.
                return ExitCodes.Ok;
            }
        });
        return command;
    }

    private static async Task<EventSubscription> ReconnectAsync(CliContext context, string? kind, string? key, long? after, CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(ReconnectDelay, cancellationToken);
            try
            {
                return await EventSubscription.OpenAsync(context.Client, kind, key, after, cancellationToken);
            }
            catch (CommandFailedException e) when (e.ExitCode == ExitCodes.CannotConnect)
            {
                await context.Error.WriteLineAsync(e.Message + "; retrying");
            }
        }
    }

    /// <summary>"time  kind  key  by actor", the line an operator scans.</summary>
    private static string Line(JsonObject value) =>
        $"{value["time"]}  {value["kind"]}  {value["key"]}  by {value["actor"]}";
}
