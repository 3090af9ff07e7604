using RebarProvision.Cli.Settings;
using RebarProvision.Server.Tests;

namespace RebarProvision.Cli.Tests;

/// <summary>
/// Runs rebarctl in process against a test server, with environment variables and a config file of the test's
/// own (never the developer's).
/// </summary>
public sealed class Rebarctl(Dictionary<string, string> variables, string configPath)
{
    public Dictionary<string, string> Variables { get; } = variables;

    public string ConfigPath { get; } = configPath;

    /// <summary>Talks to the server as its admin through REBAR_ENDPOINT, REBAR_USER and REBAR_PASSWORD.</summary>
    public static Rebarctl For(TestServer server) => new(new()
    {
        ["REBAR_ENDPOINT"] = $"http://127.0.0.1:{server.Options.ApiPort}",
        ["REBAR_USER"] = "admin",
        ["REBAR_PASSWORD"] = TestServer.AdminPassword,
    }, Path.Combine(Path.GetTempPath(), $"rebarctl-no-config-{Guid.NewGuid():N}.yaml"));

    public Task<CliRun> RunAsync(params string[] args) => RunWithInputAsync("", args);

    public async Task<CliRun> RunWithInputAsync(string stdin, params string[] args)
    {
        using var stdout = new CapturedOutput();
        using var stderr = new CapturedOutput();
        var code = await Program.RunAsync(args, stdout, stderr, Environment(stdin));
        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }

    public CliEnvironment Environment(string stdin = "") =>
        new(name => Variables.GetValueOrDefault(name), ConfigPath, new StringReader(stdin));
}
