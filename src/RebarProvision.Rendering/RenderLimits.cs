namespace RebarProvision.Rendering;

/// <summary>The budget of one render: loops, recursion, string sizes and wall-clock time.</summary>
public sealed record RenderLimits
{
    public static RenderLimits Default { get; } = new();

    /// <summary>Iterations across one nested loop tree (Scriban counts nested loops together).</summary>
    public int LoopLimit { get; init; } = 10_000;

    /// <summary>Depth of function calls and template includes.</summary>
    public int RecursiveLimit { get; init; } = 64;

    /// <summary>Characters in one string conversion and in the whole output.</summary>
    public int MaxOutputChars { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// Wall-clock time of one render. A real template takes well under a millisecond; the default leaves room for a
    /// CPU-starved host (seen: a 500 ms budget tripping at load average 22 on 2 cores) while still cutting off a
    /// runaway template quickly.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);
}
