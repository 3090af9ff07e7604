using RebarProvision.Server.Tests;

namespace RebarProvision.Cli.Tests;

public sealed class ConnectionTests : CliTest
{
    private static string Unreachable() => $"http://127.0.0.1:{FreePort.Tcp()}";

    [Fact]
    public async Task An_unreachable_endpoint_exits_5_naming_it()
    {
        var endpoint = Unreachable();

        var run = await Cli.RunAsync("machines", "list", "--endpoint", endpoint);

        run.Expect(ExitCodes.CannotConnect);
        Assert.Contains($"error: cannot connect to {endpoint}/", run.Stderr);
    }

    [Fact]
    public async Task Flags_win_over_the_environment_which_wins_over_the_config_file()
    {
        var endpoint = $"http://127.0.0.1:{Server.Options.ApiPort}";
        var config = File("config.yaml", $"endpoint: {endpoint}\nuser: admin\npassword: {TestServer.AdminPassword}\n");
        var fromFile = new Rebarctl([], config);
        (await fromFile.RunAsync("profiles", "list")).Expect(ExitCodes.Ok);

        var envOverFile = new Rebarctl(new() { ["REBAR_ENDPOINT"] = Unreachable() }, config);
        (await envOverFile.RunAsync("profiles", "list")).Expect(ExitCodes.CannotConnect);

        (await envOverFile.RunAsync("profiles", "list", "--endpoint", endpoint)).Expect(ExitCodes.Ok);
    }

    [Fact]
    public async Task A_config_file_with_an_unknown_key_is_a_usage_error_naming_it()
    {
        var cli = new Rebarctl([], File("config.yaml", "endpoint: http://127.0.0.1:1\ntokn: abc\n"));

        var run = await cli.RunAsync("profiles", "list");

        run.Expect(ExitCodes.UsageError);
        Assert.Contains("unknown key(s) tokn", run.Stderr);
    }

    [Fact]
    public async Task The_token_is_sent_as_a_bearer_credential()
    {
        var seen = new List<string?>();
        await using var api = await FakeApi.StartAsync(http =>
        {
            seen.Add(http.Request.Headers.Authorization);
            return Microsoft.AspNetCore.Http.Results.Json(Array.Empty<object>());
        });
        var cli = new Rebarctl(new() { ["REBAR_TOKEN"] = "t0ken", ["REBAR_USER"] = "ignored", ["REBAR_PASSWORD"] = "x" }, Cli.ConfigPath);

        (await cli.RunAsync("machines", "list", "--endpoint", api.Endpoint)).Expect(0);

        Assert.Equal(["Bearer t0ken"], seen);
    }

    [Fact]
    public async Task An_unknown_command_or_a_missing_option_is_a_usage_error()
    {
        (await Cli.RunAsync("machines", "frobnicate")).Expect(ExitCodes.UsageError);
        var missing = await Cli.RunAsync("profiles", "create");
        missing.Expect(ExitCodes.UsageError);
        Assert.Contains("--file", missing.Stderr);
        (await Cli.RunAsync("leases", "create", "-f", "x.yaml")).Expect(ExitCodes.UsageError);
        (await Cli.RunAsync("profiles", "list", "-o", "xml")).Expect(ExitCodes.UsageError);
    }

    [Fact]
    public async Task Help_lists_the_exit_codes()
    {
        var run = (await Cli.RunAsync("--help")).Expect(0);

        Assert.Contains("Exit codes:", run.Stdout);
        Assert.Contains("4  timeout", run.Stdout);
        Assert.Contains("5  cannot connect to the server", run.Stdout);
    }

    [Fact]
    public async Task A_401_names_the_credentials_to_pass()
    {
        await using var api = await FakeApi.StartAsync(_ => Microsoft.AspNetCore.Http.Results.Problem(statusCode: 401, title: "Unauthorized", detail: "a token or a user is required"));

        var run = await Cli.RunAsync("machines", "list", "--endpoint", api.Endpoint);

        run.Expect(ExitCodes.ApiError);
        Assert.Contains("error: Unauthorized (401)", run.Stderr);
        Assert.Contains("a token or a user is required", run.Stderr);
        Assert.Contains("hint: pass --token", run.Stderr);
    }
}
