using System.CommandLine;
using RebarProvision.Cli.Settings;

namespace RebarProvision.Cli;

public static class Program
{
    public static Task<int> Main(string[] args) => RunAsync(args, Console.Out, Console.Error);

    /// <summary>Runs <c>rebarctl</c> with these arguments; the process's environment, config file and stdin unless given.</summary>
    /// <returns>The exit code (<see cref="ExitCodes"/>).</returns>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CliEnvironment? environment = null, CancellationToken cancellationToken = default)
    {
        var root = CommandLine.Build(environment ?? CliEnvironment.Process());
        var configuration = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = true };
        return root.Parse(args).InvokeAsync(configuration, cancellationToken);
    }
}
