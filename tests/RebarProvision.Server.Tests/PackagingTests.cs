using System.Diagnostics;
using RebarProvision.Testing;

namespace RebarProvision.Server.Tests;

/// <summary>The systemd unit and the self-contained publish in src/RebarProvision.Server/packaging.</summary>
public sealed class PackagingTests
{
    private static readonly string Packaging = Path.Combine(TestServer.ShippedContent(), "src", "RebarProvision.Server", "packaging");

    [SkippableFact]
    public async Task The_systemd_unit_passes_systemd_analyze_verify_without_a_warning()
    {
        var analyze = Prerequisite.RequireCommand("systemd-analyze");
        var unit = await File.ReadAllTextAsync(Path.Combine(Packaging, "rebar-provision.service"));
        Assert.Contains("AmbientCapabilities=CAP_NET_BIND_SERVICE CAP_NET_RAW", unit);
        Assert.Contains("StateDirectory=rebar-provision", unit);
        Assert.Contains("User=rebar-provision", unit);
        // verify checks that ExecStart exists; point it at a real executable instead of /opt, which is not installed here.
        var dir = Directory.CreateTempSubdirectory("rebar-unit-");
        try
        {
            var copy = Path.Combine(dir.FullName, "rebar-provision.service");
            await File.WriteAllTextAsync(copy, unit.Replace("/opt/rebar-provision/rebar-provision", "/bin/true", StringComparison.Ordinal));

            var (code, output) = await RunAsync(analyze, ["verify", copy], TimeSpan.FromSeconds(60));

            // verify exits 0 on unknown keys and bad values too, only warning: any output is a failure.
            Assert.True(code == 0 && output.Trim().Length == 0, $"systemd-analyze verify exited {code}:\n{output}");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [SkippableFact]
    [Trait("Category", "Slow")]
    public async Task The_published_linux_x64_server_starts_without_dotnet_and_serves_the_UI()
    {
        var output = Directory.CreateTempSubdirectory("rebar-publish-");
        try
        {
            var (code, log) = await RunAsync("bash", [Path.Combine(Packaging, "publish.sh"), "--output", output.FullName, "linux-x64"], TimeSpan.FromMinutes(10));
            Assert.True(code == 0, $"publish.sh exited {code}:\n{log}");
            var release = Path.Combine(output.FullName, "linux-x64");
            Assert.True(File.Exists(Path.Combine(release, "packaging", "rebar-provision.service")));
            Assert.True(File.Exists(Path.Combine(release, "libcoreclr.so")), "the publish is not self-contained");

            await using var server = ServerProcess.StartPublished(Path.Combine(release, "rebar-provision"),
                ["--data-dir", Path.Combine(output.FullName, "data")],
                new Dictionary<string, string> { ["REBAR_ADMIN_PASSWORD"] = "published-password", ["DOTNET_ROOT"] = "/nonexistent" });
            await server.WaitReadyAsync(TimeSpan.FromSeconds(60));

            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.ApiPort}/") };
            Assert.Contains("<title>RebarProvision</title>", await http.GetStringAsync(""));
            var (cliCode, bootenvs) = await RunAsync(Path.Combine(release, "rebarctl"), ["bootenvs", "list"], TimeSpan.FromSeconds(60),
                new Dictionary<string, string> { ["REBAR_ENDPOINT"] = $"http://127.0.0.1:{server.ApiPort}", ["REBAR_USER"] = "admin", ["REBAR_PASSWORD"] = "published-password" });
            Assert.True(cliCode == 0, bootenvs);
            Assert.Contains("debian-netboot", bootenvs);
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, string[] args, TimeSpan timeout, Dictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        foreach (var (name, value) in environment ?? [])
        {
            info.Environment[name] = value;
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish within {timeout}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }
}
