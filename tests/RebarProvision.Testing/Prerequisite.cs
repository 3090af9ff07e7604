using Xunit;

namespace RebarProvision.Testing;

/// <summary>
/// A test's precondition on the machine (root, a command, PostgreSQL). Outside CI a missing one skips the test with
/// the reason printed; under CI=true it fails the test, so CI never passes by skipping.
/// </summary>
public static class Prerequisite
{
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static bool IsRoot => Environment.UserName == "root" || geteuid() == 0;

    public static void Require(bool condition, string reason)
    {
        if (condition)
        {
            return;
        }
        if (InCi)
        {
            throw new InvalidOperationException($"prerequisite missing under CI: {reason}");
        }
        throw new SkipException(reason);
    }

    public static void RequireRoot() => Require(IsRoot, "needs root (network namespaces, privileged ports)");

    /// <summary>Requires an executable on PATH (or an absolute path) and returns its full path.</summary>
    public static string RequireCommand(string name)
    {
        var path = FindCommand(name);
        Require(path is not null, $"needs '{name}' (run tests/run.sh, which installs it from Debian)");
        return path!;
    }

    public static string? FindCommand(string name)
    {
        if (Path.IsPathRooted(name))
        {
            return File.Exists(name) ? name : null;
        }
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"]);
        return dirs.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = false)]
    private static extern uint geteuid();
}
