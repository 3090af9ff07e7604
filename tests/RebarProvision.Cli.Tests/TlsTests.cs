using RebarProvision.Server.Tests;

namespace RebarProvision.Cli.Tests;

/// <summary>The server's API certificate is self-signed on first start; rebarctl trusts it only when told to.</summary>
public sealed class TlsTests : IAsyncLifetime
{
    private TestServer _server = null!;
    private Rebarctl _cli = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync(o => o.ApiTls = true);
        _cli = Rebarctl.For(_server);
        _cli.Variables["REBAR_ENDPOINT"] = $"https://127.0.0.1:{_server.Options.ApiPort}";
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_self_signed_certificate_is_refused_with_a_hint_to_pass_insecure()
    {
        var run = await _cli.RunAsync("profiles", "list");

        run.Expect(ExitCodes.CannotConnect);
        Assert.Contains("pass --insecure", run.Stderr);
    }

    [Fact]
    public async Task Insecure_from_the_flag_the_environment_or_the_config_file_accepts_it()
    {
        (await _cli.RunAsync("profiles", "list", "--insecure")).Expect(ExitCodes.Ok);

        _cli.Variables["REBAR_INSECURE"] = "1";
        (await _cli.RunAsync("profiles", "list")).Expect(ExitCodes.Ok);

        _cli.Variables.Remove("REBAR_INSECURE");
        var config = Path.Combine(Path.GetTempPath(), $"rebarctl-config-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(config, "insecure: true\n");
        try
        {
            (await new Rebarctl(_cli.Variables, config).RunAsync("profiles", "list")).Expect(ExitCodes.Ok);
        }
        finally
        {
            File.Delete(config);
        }
    }
}
