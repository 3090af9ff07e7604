using System.CommandLine;
using RebarProvision.Cli.Http;
using RebarProvision.Cli.Output;
using RebarProvision.Cli.Settings;

namespace RebarProvision.Cli;

/// <summary>One invocation: its parsed command line, stdout/stderr, surroundings and (made on first use) the API client.</summary>
public sealed class CliContext(ParseResult parse, GlobalOptions globals, CliEnvironment environment) : IDisposable
{
    private RebarClient? _client;

    public ParseResult Parse { get; } = parse;

    public CliEnvironment Environment { get; } = environment;

    public TextWriter Out => Parse.InvocationConfiguration.Output;

    public TextWriter Error => Parse.InvocationConfiguration.Error;

    public RebarClient Client => _client ??= new RebarClient(globals.Connection(Parse, Environment));

    public T? Value<T>(Option<T> option) => Parse.GetValue(option);

    public T Value<T>(Argument<T> argument) => Parse.GetValue(argument)!;

    /// <summary>Output in the format asked for with -o, or <paramref name="fallback"/>.</summary>
    public OutputWriter Output(OutputFormat fallback) => new(Out, globals.Format(Parse, fallback));

    /// <summary>Whether -o was given; commands that change something print a one-line summary otherwise.</summary>
    public bool FormatGiven => globals.FormatGiven(Parse);

    public void Dispose() => _client?.Dispose();
}
