using System.Net;
using RebarProvision.Model;
using RebarProvision.Store;
using RebarProvision.Testing;

namespace RebarProvision.Server.Tests;

/// <summary>The server's TFTP listener over the boot files, fetched with curl (a client we did not write).</summary>
public sealed class TftpBootTests : IAsyncLifetime
{
    private TestServer _server = null!;
    private string _uuid = "";
    private const string Mac = "52:54:00:77:00:01";

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync(o =>
        {
            o.Content = TestServer.ShippedContent();
            o.TftpPort = FreePort.Udp();
        });
        await (await _server.Api.PostJsonAsync("bootenvs", """
            {"name":"tftp-test","kernel":"vmlinuz","bootParams":"console=ttyS0",
             "templates":[{"name":"by-address","path":"pxe-user-data","contents":"hello {{ machine.name }} at {{ lease.addr }}\n"}]}
            """)).Expect(HttpStatusCode.Created);
        var machine = await (await (await _server.Api.PostJsonAsync("machines", $$"""{"name":"tftp1","hardwareAddrs":["{{Mac}}"],"bootEnv":"tftp-test"}""")).Expect(HttpStatusCode.Created)).JsonAsync();
        _uuid = machine["uuid"]!.GetValue<string>();
        // curl speaks from 127.0.0.1: the address of the machine's bound lease, as if it had booted through our DHCP.
        var now = DateTimeOffset.UtcNow;
        Assert.NotNull(await _server.Service<IStore>().Leases.TryClaimAsync(
            new Lease { Addr = "127.0.0.1", Token = Mac, Subnet = "loopback", State = LeaseState.Bound, ExpiresAt = now.AddHours(1) }, now));
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<string> CurlAsync(string path)
    {
        var curl = Prerequisite.RequireCommand("curl");
        var result = await ProcessRunner.RunAsync(curl, ["-sS", "--fail", $"tftp://127.0.0.1:{_server.Options.TftpPort}/{path}"], TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.StandardOutput;
    }

    [SkippableFact]
    public async Task The_pxelinux_config_for_a_MAC_is_rendered_over_TFTP()
    {
        var config = await CurlAsync($"pxelinux.cfg/01-{Mac.Replace(':', '-')}");
        Assert.Contains("console=ttyS0", config);
        Assert.Contains("files/bootenvs/tftp-test/vmlinuz", config);
    }

    [SkippableFact]
    public async Task Per_machine_files_over_TFTP_go_to_no_address_but_the_machines_lease()
    {
        var curl = Prerequisite.RequireCommand("curl");
        foreach (var path in new[] { $"pxelinux.cfg/01-{Mac.Replace(':', '-')}", "pxe-user-data" })
        {
            var result = await ProcessRunner.RunAsync(curl,
                ["-sS", "--fail", "--interface", "127.0.0.3", $"tftp://127.0.0.1:{_server.Options.TftpPort}/{path}"], TimeSpan.FromSeconds(30));
            Assert.True(result.ExitCode != 0, $"{path} was served to 127.0.0.3: {result}");
            Assert.DoesNotContain("tftp1", result.StandardOutput);
        }
    }

    [SkippableFact]
    public async Task A_per_machine_file_goes_to_the_machine_whose_lease_has_the_clients_address()
    {
        Assert.Equal("hello tftp1 at 127.0.0.1\n", await CurlAsync("pxe-user-data"));
    }

    [SkippableFact]
    public async Task The_iPXE_loader_is_served_byte_for_byte_from_Debians_package()
    {
        const string loader = "/usr/lib/ipxe/undionly.kpxe";
        Prerequisite.Require(File.Exists(loader), "needs Debian's ipxe package");
        var curl = Prerequisite.RequireCommand("curl");
        var output = Path.GetTempFileName();
        var result = await ProcessRunner.RunAsync(curl, ["-sS", "--fail", "--tftp-blksize", "1468", "-o", output, $"tftp://127.0.0.1:{_server.Options.TftpPort}/undionly.kpxe"], TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(await File.ReadAllBytesAsync(loader), await File.ReadAllBytesAsync(output));
    }

    [SkippableTheory]
    [InlineData("../../../../etc/passwd")]
    [InlineData("files/../../etc/passwd")]
    [InlineData("nonexistent.efi")]
    public async Task Paths_outside_the_roots_get_a_TFTP_error(string path)
    {
        var curl = Prerequisite.RequireCommand("curl");
        var result = await ProcessRunner.RunAsync(curl, ["-sS", "--fail", "--path-as-is", $"tftp://127.0.0.1:{_server.Options.TftpPort}/{path}"], TimeSpan.FromSeconds(30));
        // curl's exit codes for the TFTP error packets: 68 file not found, 69 access violation.
        Assert.True(result.ExitCode is 68 or 69, result.ToString());
        Assert.DoesNotContain("root:", result.StandardOutput);
    }
}
