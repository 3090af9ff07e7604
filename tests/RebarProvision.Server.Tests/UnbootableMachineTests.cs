using System.Net;
using RebarProvision.Model;
using RebarProvision.Store;

namespace RebarProvision.Server.Tests;

/// <summary>A known machine that cannot boot is told why on its console, and retries, instead of getting a bare 404.</summary>
public sealed class UnbootableMachineTests : IAsyncLifetime
{
    private const string Mac = "52:54:00:0b:00:01";
    private TestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync(o => o.Content = TestServer.ShippedContent());
        // The test's client speaks from 127.0.0.1: the address of the machine's bound lease, as if it had booted through our DHCP.
        var now = DateTimeOffset.UtcNow;
        Assert.NotNull(await _server.Service<IStore>().Leases.TryClaimAsync(
            new Lease { Addr = "127.0.0.1", Token = Mac, Subnet = "loopback", State = LeaseState.Bound, ExpiresAt = now.AddHours(1) }, now));
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_machine_whose_bootenv_does_not_exist_gets_a_script_that_says_so_and_retries()
    {
        var machine = await (await (await _server.Api.PostJsonAsync("machines", $$"""{"name":"lost","hardwareAddrs":["{{Mac}}"],"bootEnv":"no-such-env"}"""))
            .Expect(HttpStatusCode.Created)).JsonAsync();
        Assert.False(machine["validated"]!.GetValue<bool>());

        var response = await (await _server.Boot.GetAsync($"boot/{Mac}.ipxe")).Expect(HttpStatusCode.OK);
        var script = await response.Content.ReadAsStringAsync();

        Assert.StartsWith("#!ipxe\n", script);
        Assert.Contains("echo bootenv no-such-env does not exist", script);
        Assert.Contains("from node test-node", script);
        Assert.Contains("sleep 30\n", script);
        Assert.Contains($"chain --replace --autofree http://127.0.0.1:{_server.Options.HttpPort}/boot/{Mac}.ipxe || goto retry", script);
        var check = await (await _server.Api.GetAsync("machines/lost/boot-check")).JsonAsync();
        Assert.False(check["bootable"]!.GetValue<bool>());
        Assert.Contains("bootenv 'no-such-env' does not exist", check["reason"]!.GetValue<string>());
        // It did not boot: the last boot stays unset.
        var stored = await (await _server.Api.GetAsync("machines/lost")).JsonAsync();
        Assert.Null(stored["lastBootAt"]);
    }

    [Fact]
    public async Task A_bootenv_missing_its_kernel_on_this_node_names_the_file_and_boots_once_it_is_there()
    {
        await (await _server.Api.PostJsonAsync("bootenvs", """{"name":"tiny","kernel":"vmlinuz","initrds":["initrd.img"],"bootParams":"console=ttyS0"}"""))
            .Expect(HttpStatusCode.Created);
        await (await _server.Api.PostJsonAsync("machines", $$"""{"name":"waiting","hardwareAddrs":["{{Mac}}"],"bootEnv":"tiny"}""")).Expect(HttpStatusCode.Created);
        var files = Path.Combine(_server.Options.DataDir, "files", "bootenvs", "tiny");
        Directory.CreateDirectory(files);
        await File.WriteAllTextAsync(Path.Combine(files, "initrd.img"), "initrd");

        var missing = await (await (await _server.Boot.GetAsync($"boot/{Mac}.ipxe")).Expect(HttpStatusCode.OK)).Content.ReadAsStringAsync();
        var check = await (await _server.Api.GetAsync("machines/waiting/boot-check")).JsonAsync();

        Assert.Contains("bootenv tiny is missing kernel vmlinuz on node test-node", missing);
        Assert.DoesNotContain("initrd initrd.img", missing);
        Assert.Contains("missing kernel vmlinuz on node test-node", check["reason"]!.GetValue<string>());

        await File.WriteAllTextAsync(Path.Combine(files, "vmlinuz"), "kernel");
        var ready = await (await (await _server.Boot.GetAsync($"boot/{Mac}.ipxe")).Expect(HttpStatusCode.OK)).Content.ReadAsStringAsync();

        Assert.DoesNotContain("cannot boot", ready);
        Assert.Contains("/files/bootenvs/tiny/vmlinuz", ready);
        Assert.True((await (await _server.Api.GetAsync("machines/waiting/boot-check")).JsonAsync())["bootable"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_file_name_cannot_inject_ipxe_commands_into_the_reason()
    {
        await (await _server.Api.PostJsonAsync("bootenvs", """{"name":"odd","kernel":"x${net0/ip}\nshell","bootParams":""}""")).Expect(HttpStatusCode.Created);
        await (await _server.Api.PostJsonAsync("machines", $$"""{"name":"odd","hardwareAddrs":["{{Mac}}"],"bootEnv":"odd"}""")).Expect(HttpStatusCode.Created);

        var script = await (await (await _server.Boot.GetAsync($"boot/{Mac}.ipxe")).Expect(HttpStatusCode.OK)).Content.ReadAsStringAsync();

        Assert.DoesNotContain("${", script);
        Assert.DoesNotContain("\nshell", script);
        Assert.Contains("missing kernel x??net0/ip??shell", script);
    }
}
