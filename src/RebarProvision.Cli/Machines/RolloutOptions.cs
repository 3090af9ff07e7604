using System.CommandLine;
using System.Text.Json.Nodes;
using RebarProvision.Cli.Input;

namespace RebarProvision.Cli.Machines;

/// <summary>
/// The options of a rolling reimage (<c>machines reimage --selector ...</c>) and the request they make. Selector
/// keys: <c>profile</c>, <c>bootenv</c> and <c>name</c> (comma-separated or repeated); any other key is sent as
/// given, so the server names it in its refusal.
/// </summary>
public sealed class RolloutOptions
{
    public Option<string[]> Selector { get; } = new("--selector")
    {
        Description = "reimage the machines matching all of these in a rolling way: profile=NAME, bootenv=NAME, name=M1,M2 (repeatable)",
    };

    public Option<int?> MaxUnavailable { get; } = new("--max-unavailable")
    {
        Description = "with --selector: at most this many machines out of installed at once (default 1)",
    };

    public Option<string?> OnFailure { get; } = new("--on-failure")
    {
        Description = "with --selector: stop (default: start no further machine once one fails) or continue",
    };

    public Option<TimeSpan?> MachineTimeout { get; } = new("--machine-timeout")
    {
        Description = "with --selector: a machine not installed this long after its reimage counts as failed, e.g. 30m (default: the server's provision timeout)",
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (Duration.TryParse(text, out var duration) && duration >= TimeSpan.FromSeconds(1))
            {
                return duration;
            }
            result.AddError($"--machine-timeout: '{text}' is not a duration like 90s, 30m or 1h");
            return null;
        },
    };

    public RolloutOptions()
    {
        OnFailure.AcceptOnlyFromAmong("stop", "continue");
    }

    /// <summary>Whether --selector was given, making this a rolling reimage.</summary>
    /// <exception cref="CommandFailedException">A rollout option was given without --selector.</exception>
    public bool Given(CliContext context)
    {
        if (context.Value(Selector) is { Length: > 0 })
        {
            return true;
        }
        if (context.Value(MaxUnavailable) is not null || context.Value(OnFailure) is not null || context.Value(MachineTimeout) is not null)
        {
            throw CommandFailedException.Usage("--max-unavailable, --on-failure and --machine-timeout go with --selector");
        }
        return false;
    }

    /// <summary>The <c>POST machines/reimage</c> body: <paramref name="body"/> (bootenv, profiles) plus the rollout's fields.</summary>
    public JsonObject Body(CliContext context, JsonObject body)
    {
        var selector = new JsonObject();
        var names = new JsonArray();
        foreach (var pair in context.Value(Selector) ?? [])
        {
            var at = pair.IndexOf('=', StringComparison.Ordinal);
            if (at <= 0 || at == pair.Length - 1)
            {
                throw CommandFailedException.Usage($"--selector '{pair}' is not key=value (profile=NAME, bootenv=NAME or name=M1,M2)");
            }
            var (key, value) = (pair[..at], pair[(at + 1)..]);
            switch (key.ToLowerInvariant())
            {
                case "name" or "names":
                    foreach (var name in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        names.Add(name);
                    }
                    break;
                case "bootenv":
                    selector["bootEnv"] = value;
                    break;
                default:
                    selector[key] = value;
                    break;
            }
        }
        if (names.Count > 0)
        {
            selector["names"] = names;
        }
        body["selector"] = selector;
        if (context.Value(MaxUnavailable) is { } max)
        {
            body["maxUnavailable"] = max;
        }
        if (context.Value(OnFailure) is { } policy)
        {
            body["onFailure"] = policy;
        }
        if (context.Value(MachineTimeout) is { } limit)
        {
            body["machineTimeoutSeconds"] = (int)Math.Ceiling(limit.TotalSeconds);
        }
        return body;
    }
}
