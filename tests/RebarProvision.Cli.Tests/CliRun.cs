namespace RebarProvision.Cli.Tests;

/// <summary>What one rebarctl run did: its exit code and what it printed.</summary>
public sealed record CliRun(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";

    /// <summary>Asserts the exit code, showing both outputs when it is not the expected one.</summary>
    public CliRun Expect(int exitCode)
    {
        Assert.True(ExitCode == exitCode, $"expected exit {exitCode}, got {this}");
        return this;
    }
}
