using System.CommandLine;
using RebarProvision.Cli.Output;
using RebarProvision.Cli.Settings;

namespace RebarProvision.Cli;

/// <summary>The options every command takes: where the server is, how to authenticate, and the output format.</summary>
public sealed class GlobalOptions
{
    public Option<string?> Endpoint { get; } = new("--endpoint")
    {
        Description = $"API base URL (env REBAR_ENDPOINT, config 'endpoint'; default {ConnectionSettings.DefaultEndpoint})",
        Recursive = true,
    };

    public Option<string?> Token { get; } = new("--token")
    {
        Description = "API bearer token (env REBAR_TOKEN, config 'token')",
        Recursive = true,
    };

    public Option<string?> User { get; } = new("--user")
    {
        Description = "user for basic auth (env REBAR_USER, config 'user')",
        Recursive = true,
    };

    public Option<string?> Password { get; } = new("--password")
    {
        Description = "password for basic auth (env REBAR_PASSWORD)",
        Recursive = true,
    };

    public Option<bool> Insecure { get; } = new("--insecure")
    {
        Description = "accept the server's self-signed certificate (env REBAR_INSECURE=1, config 'insecure: true')",
        Recursive = true,
    };

    public Option<string?> Output { get; } = CreateOutput();

    public IEnumerable<Option> All => [Endpoint, Token, User, Password, Insecure, Output];

    private static Option<string?> CreateOutput()
    {
        var option = new Option<string?>("--output", "-o")
        {
            Description = "output format: table, json or yaml (lists default to table, single objects to yaml)",
            Recursive = true,
        };
        option.AcceptOnlyFromAmong("table", "json", "yaml");
        return option;
    }

    public ConnectionSettings Connection(ParseResult parse, CliEnvironment environment) =>
        ConnectionSettings.Resolve(parse.GetValue(Endpoint), parse.GetValue(Token), parse.GetValue(User), parse.GetValue(Password), parse.GetValue(Insecure), environment);

    /// <summary>The format asked for with -o, or the command's own default.</summary>
    public OutputFormat Format(ParseResult parse, OutputFormat fallback) =>
        parse.GetValue(Output) is { } text ? Enum.Parse<OutputFormat>(text, ignoreCase: true) : fallback;

    public bool FormatGiven(ParseResult parse) => parse.GetValue(Output) is not null;
}
