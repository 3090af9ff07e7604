using System.Globalization;
using System.Text.RegularExpressions;

namespace RebarProvision.Cli.Input;

/// <summary>Durations as operators write them: <c>30s</c>, <c>5m</c>, <c>1h30m</c>, <c>500ms</c>; a bare number is seconds.</summary>
public static partial class Duration
{
    [GeneratedRegex(@"^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$")]
    private static partial Regex Pattern();

    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = default;
        text = text.Trim();
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            duration = TimeSpan.FromSeconds(seconds);
            return true;
        }
        var match = Pattern().Match(text);
        if (text.Length == 0 || !match.Success)
        {
            return false;
        }
        duration = TimeSpan.FromHours(Part(match, 1)) + TimeSpan.FromMinutes(Part(match, 2))
            + TimeSpan.FromSeconds(Part(match, 3)) + TimeSpan.FromMilliseconds(Part(match, 4));
        return true;
    }

    public static string Format(TimeSpan duration) =>
        duration.TotalSeconds < 1 ? $"{duration.TotalMilliseconds:0}ms"
        : duration.TotalMinutes < 1 ? $"{duration.TotalSeconds:0.#}s"
        : duration.TotalHours < 1 ? $"{(int)duration.TotalMinutes}m{(duration.Seconds > 0 ? $"{duration.Seconds}s" : "")}"
        : $"{(int)duration.TotalHours}h{(duration.Minutes > 0 ? $"{duration.Minutes}m" : "")}";

    private static int Part(Match match, int group) =>
        match.Groups[group].Success ? int.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture) : 0;
}
