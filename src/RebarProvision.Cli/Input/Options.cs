using System.CommandLine;

namespace RebarProvision.Cli.Input;

/// <summary>Options several commands share, made here so they read the same everywhere.</summary>
public static class Options
{
    public static Option<string> File(string description) => new("--file", "-f")
    {
        Description = description + " (YAML or JSON; '-' reads stdin)",
        Required = true,
    };

    public static Option<string?> IfMatch() => new("--if-match")
    {
        Description = "only write if the object is still at this ETag (revision); without it the current revision is used",
    };

    /// <summary>A duration; null when not given (no default here, so help shows "30m" rather than "00:30:00").</summary>
    public static Option<TimeSpan?> Timeout(TimeSpan fallback) => new("--timeout")
    {
        Description = $"how long to wait, e.g. 30s, 5m, 1h (default {Duration.Format(fallback)})",
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (Duration.TryParse(text, out var duration) && duration > TimeSpan.Zero)
            {
                return duration;
            }
            result.AddError($"--timeout: '{text}' is not a duration like 30s, 5m or 1h30m");
            return fallback;
        },
    };
}
