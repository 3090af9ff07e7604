namespace RebarProvision.Rendering;

/// <summary>The budget of one render: loops, recursion, string and value sizes, hashing rounds and wall-clock time.</summary>
public sealed record RenderLimits
{
    public static RenderLimits Default { get; } = new();

    /// <summary>Iterations across one nested loop tree (Scriban counts nested loops together).</summary>
    public int LoopLimit { get; init; } = 10_000;

    /// <summary>Depth of function calls and template includes.</summary>
    public int RecursiveLimit { get; init; } = 64;

    /// <summary>Characters in one string conversion and in the whole output.</summary>
    public int MaxOutputChars { get; init; } = 4 * 1024 * 1024;

    /// <summary>Nesting of a value written by <c>to_json</c> or <c>to_yaml</c> (params and inventories need a handful).</summary>
    public int MaxValueDepth { get; init; } = 32;

    /// <summary>
    /// Elements of a value written by <c>to_json</c> or <c>to_yaml</c>. Each costs some 100 bytes while it is
    /// converted, so this bounds the memory of one call to about 10 MB.
    /// </summary>
    public int MaxValueNodes { get; init; } = 100_000;

    /// <summary>
    /// Rounds <c>sha512crypt</c> runs. glibc accepts up to 999,999,999 (hours of CPU per call); 5,000 is the default
    /// installers use. 100,000 rounds of a 1 KiB password took 1.3 s on a 2-core host at load average 28 (and
    /// 500,000 took 9 s), so a larger count would overrun the render's time budget in a single call.
    /// </summary>
    public int MaxCryptRounds { get; init; } = 100_000;

    /// <summary>Bytes of a password <c>sha512crypt</c> hashes: every round hashes it again, so cost is rounds times length.</summary>
    public int MaxCryptPasswordBytes { get; init; } = 1024;

    /// <summary>
    /// Wall-clock time of one render. A real template takes well under a millisecond; the default leaves room for a
    /// CPU-starved host (seen: a 500 ms budget tripping at load average 22 on 2 cores) while still cutting off a
    /// runaway template quickly.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);
}
