using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using RebarProvision.Cli.Http;
using RebarProvision.Cli.Input;
using RebarProvision.Cli.Output;

namespace RebarProvision.Cli.Commands;

/// <summary><c>rebarctl &lt;kind&gt; list|show|create|update|patch|delete</c> for every kind of object.</summary>
public static class ObjectCommands
{
    public static Command Create(ApiKind kind, CommandAction action)
    {
        var command = new Command(kind.Name, kind.Description);
        command.Add(List(kind, action));
        command.Add(Show(kind, action));
        if (kind.Writable)
        {
            command.Add(CreateCommand(kind, action));
            command.Add(Update(kind, action));
            command.Add(Patch(kind, action));
        }
        command.Add(Delete(kind, action));
        return command;
    }

    private static Argument<string> Key(ApiKind kind) => new("key")
    {
        Description = kind == ApiKind.Machines ? "the machine's uuid or name" : $"the object's {kind.KeyField}",
    };

    private static Command List(ApiKind kind, CommandAction action)
    {
        var filter = new Option<string[]>("--filter") { Description = "only objects whose field equals the value: field=value (repeatable)" };
        var limit = new Option<int?>("--limit") { Description = "at most this many objects" };
        var sort = new Option<string?>("--sort") { Description = "sort by this field; prefix '-' for descending" };
        var command = new Command("list", $"List {kind.Name}") { filter, limit, sort };
        action.Bind(command, async (context, ct) =>
        {
            var parameters = new List<(string, string)>();
            foreach (var pair in context.Value(filter) ?? [])
            {
                var at = pair.IndexOf('=', StringComparison.Ordinal);
                if (at <= 0)
                {
                    throw CommandFailedException.Usage($"--filter '{pair}' is not field=value");
                }
                parameters.Add((pair[..at], pair[(at + 1)..]));
            }
            if (context.Value(limit) is { } n)
            {
                parameters.Add(("limit", n.ToString(CultureInfo.InvariantCulture)));
            }
            if (context.Value(sort) is { } field)
            {
                parameters.Add(("sort", field));
            }
            var response = await context.Client.GetAsync(ApiPath.Query(kind.Name, parameters), ct);
            var items = response.Json() as JsonArray ?? throw new CommandFailedException(ExitCodes.ApiError, $"the server did not answer a list of {kind.Name}");
            context.Output(OutputFormat.Table).WriteList(items, kind.Columns);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Show(ApiKind kind, CommandAction action)
    {
        var key = Key(kind);
        var command = new Command("show", $"Show one of the {kind.Name}") { key };
        action.Bind(command, async (context, ct) =>
        {
            var response = await context.Client.GetAsync(ApiPath.Object(kind.Name, context.Value(key)), ct);
            var shown = response.Json();
            if (kind == ApiKind.Machines && shown is JsonObject machine)
            {
                // The server's own sentence for why the machine cannot boot (missing bootenv, or images this node lacks).
                var check = (await context.Client.GetAsync(ApiPath.Object(kind.Name, context.Value(key)) + "/boot-check", ct)).Json();
                if (check["bootable"]?.GetValue<bool>() == false)
                {
                    machine["cannotBoot"] = check["reason"]?.DeepClone();
                }
            }
            context.Output(OutputFormat.Yaml).WriteObject(shown, kind.Columns);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command CreateCommand(ApiKind kind, CommandAction action)
    {
        var file = Input.Options.File("the object to create");
        var command = new Command("create", $"Create one of the {kind.Name} from a file") { file };
        action.Bind(command, async (context, ct) =>
        {
            var body = InputDocument.Read(context.Value(file)!, context.Environment.Stdin).Object();
            var response = await context.Client.SendAsync(HttpMethod.Post, kind.Name, body.ToJsonString(), "application/json", ct);
            Report(context, kind, response, "created");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Update(ApiKind kind, CommandAction action)
    {
        var key = Key(kind);
        var file = Input.Options.File("the fields to set; fields not in the file keep their current values");
        var ifMatch = Input.Options.IfMatch();
        var command = new Command("update", $"Replace fields of one of the {kind.Name}, guarded by its ETag") { key, file, ifMatch };
        action.Bind(command, async (context, ct) =>
        {
            var changes = InputDocument.Read(context.Value(file)!, context.Environment.Stdin).Object();
            // Read-modify-write: the PUT carries the ETag we read (or the one given), so a write made by someone
            // else in between is refused with 412 instead of being silently overwritten.
            var current = await context.Client.GetAsync(ApiPath.Object(kind.Name, context.Value(key)), ct);
            var merged = current.Json() as JsonObject ?? throw new CommandFailedException(ExitCodes.ApiError, "the server did not answer an object");
            var currentKey = kind.KeyOf(merged);
            foreach (var (field, value) in changes)
            {
                merged[field] = value?.DeepClone();
            }
            var etag = context.Value(ifMatch) is { } given ? Quoted(given) : current.ETag;
            var response = await context.Client.SendAsync(HttpMethod.Put, ApiPath.Object(kind.Name, currentKey), merged.ToJsonString(), "application/json", ct, etag);
            Report(context, kind, response, "updated");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Patch(ApiKind kind, CommandAction action)
    {
        var key = Key(kind);
        var json = new Option<string>("--json")
        {
            Description = """a JSON Patch (RFC 6902), e.g. '[{"op":"replace","path":"/bootEnv","value":"local"}]'""",
            Required = true,
        };
        var ifMatch = Input.Options.IfMatch();
        var command = new Command("patch", $"Apply a JSON Patch to one of the {kind.Name}") { key, json, ifMatch };
        action.Bind(command, async (context, ct) =>
        {
            var text = context.Value(json)!;
            try
            {
                if (JsonNode.Parse(text) is not JsonArray)
                {
                    throw CommandFailedException.Usage("--json must be a JSON array of patch operations");
                }
            }
            catch (JsonException e)
            {
                throw CommandFailedException.Usage($"--json is not JSON: {e.Message}");
            }
            var etag = context.Value(ifMatch) is { } given ? Quoted(given) : null;
            var response = await context.Client.SendAsync(HttpMethod.Patch, ApiPath.Object(kind.Name, context.Value(key)), text, "application/json-patch+json", ct, etag);
            Report(context, kind, response, "patched");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Delete(ApiKind kind, CommandAction action)
    {
        var key = Key(kind);
        var ifMatch = Input.Options.IfMatch();
        var command = new Command("delete", $"Delete one of the {kind.Name}") { key };
        if (kind.Writable)
        {
            command.Add(ifMatch);
        }
        action.Bind(command, async (context, ct) =>
        {
            var request = new HttpRequestMessage(HttpMethod.Delete, ApiPath.Object(kind.Name, context.Value(key)));
            if (context.Value(ifMatch) is { } given)
            {
                request.Headers.TryAddWithoutValidation("If-Match", Quoted(given));
            }
            var response = await context.Client.SendAsync(request, ct);
            if (response.Body.Length == 0)
            {
                await context.Out.WriteLineAsync($"deleted {kind.Name}/{context.Value(key)}");
                return ExitCodes.Ok;
            }
            Report(context, kind, response, "deleted");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>With -o the object as the server stored it; without, one line naming it and its new revision.</summary>
    private static void Report(CliContext context, ApiKind kind, ApiResponse response, string verb)
    {
        var stored = response.Json();
        if (context.FormatGiven)
        {
            context.Output(OutputFormat.Yaml).WriteObject(stored, kind.Columns);
            return;
        }
        var revision = stored["revision"] is { } r ? $" (revision {r})" : "";
        context.Out.WriteLine($"{verb} {kind.Name}/{kind.KeyOf(stored)}{revision}");
    }

    /// <summary>Accepts an ETag as printed (<c>"12"</c>) or as the bare revision (<c>12</c>).</summary>
    private static string Quoted(string etag) =>
        etag.StartsWith('"') || etag.StartsWith("W/", StringComparison.Ordinal) ? etag : $"\"{etag}\"";
}
