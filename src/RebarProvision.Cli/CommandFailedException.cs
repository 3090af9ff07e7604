namespace RebarProvision.Cli;

/// <summary>A command that cannot go on; the message is printed to stderr and the process exits with the code.</summary>
public sealed class CommandFailedException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public static CommandFailedException Usage(string message) => new(ExitCodes.UsageError, message);
}
