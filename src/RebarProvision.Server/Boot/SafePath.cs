namespace RebarProvision.Server.Boot;

/// <summary>
/// Maps a requested relative path onto a file under a root, refusing anything that could leave the root:
/// "..", absolute paths, backslashes, NUL and control characters, over-long names, and symlinks leading out
/// (the real path of the file must still be under the real path of the root).
/// </summary>
public static class SafePath
{
    public const int MaxLength = 1024;

    /// <summary>Checks the request's own shape; true and the clean relative path when it names nothing outside.</summary>
    public static bool TryClean(string requested, out string relative)
    {
        relative = "";
        if (requested.Length is 0 or > MaxLength || requested.Any(c => c == '\\' || char.IsControl(c)))
        {
            return false;
        }
        // One leading '/' is how firmware and URLs name a file under the root; the root is never left.
        var trimmed = requested.StartsWith('/') ? requested[1..] : requested;
        var segments = trimmed.Split('/');
        if (segments.Any(s => s is "" or "." or ".." || s.Length > 255))
        {
            return false;
        }
        relative = string.Join('/', segments);
        return true;
    }

    /// <summary>The full path of an existing regular file under <paramref name="root"/>, or null.</summary>
    public static string? Resolve(string root, string requested)
    {
        if (!TryClean(requested, out var relative) || !Directory.Exists(root))
        {
            return null;
        }
        var realRoot = RealPath(root);
        var candidate = Path.Combine(realRoot, relative);
        if (!File.Exists(candidate))
        {
            return null;
        }
        var real = RealPath(candidate);
        return real.StartsWith(realRoot + "/", StringComparison.Ordinal) ? real : null;
    }

    /// <summary>The kernel's answer (realpath(3)): every symlink in every component followed; a path that names nothing gets a name outside every root.</summary>
    public static string RealPath(string path)
    {
        var result = realpath(path, IntPtr.Zero);
        if (result == IntPtr.Zero)
        {
            return "/nonexistent/" + Guid.NewGuid();
        }
        try
        {
            return System.Runtime.InteropServices.Marshal.PtrToStringUTF8(result)!;
        }
        finally
        {
            free(result);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", CharSet = System.Runtime.InteropServices.CharSet.Ansi)]
    private static extern IntPtr realpath(string path, IntPtr resolved);

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern void free(IntPtr pointer);
}
