using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace RebarProvision.Server.Tests;

/// <summary>The HTTP boot service as a booting machine sees it, on the real server.</summary>
public sealed class BootServiceTests : IAsyncLifetime
{
    private TestServer _server = null!;
    private string _uuid = "";

    private const string Mac = "52:54:00:12:34:56";

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync(o => o.Content = TestServer.ShippedContent());
        await (await _server.Api.PostJsonAsync("templates", """{"name":"test-user-data","contents":"#cloud-config\nhostname: {{ machine.name }}\nntp: {{ param 'ntp' }}\n"}""")).Expect(HttpStatusCode.Created);
        await (await _server.Api.PostJsonAsync("bootenvs", """
            {"name":"tiny","kernel":"tiny/vmlinuz","initrds":["tiny/initrd.img"],
             "bootParams":"console=ttyS0 provision.url={{ env.provisioner_url }}/machines/{{ machine.uuid }}/user-data",
             "templates":[{"name":"user-data","path":"machines/{{ machine.uuid }}/user-data","template":"test-user-data"}]}
            """)).Expect(HttpStatusCode.Created);
        // The shipped samples bring a global profile; this test's replaces it.
        await (await _server.Api.PutJsonAsync("profiles/global", """{"name":"global","params":{"ntp":"10.0.0.9"}}""")).Expect(HttpStatusCode.OK);
        var machine = await (await (await _server.Api.PostJsonAsync("machines", $$"""{"name":"vm1","hardwareAddrs":["{{Mac}}"],"bootEnv":"tiny"}""")).Expect(HttpStatusCode.Created)).JsonAsync();
        _uuid = machine["uuid"]!.GetValue<string>();
        // The test's client speaks from 127.0.0.1: the address of vm1's bound lease, as if it had booted through our DHCP.
        var now = DateTimeOffset.UtcNow;
        Assert.NotNull(await _server.Service<RebarProvision.Store.IStore>().Leases.TryClaimAsync(
            new RebarProvision.Model.Lease { Addr = "127.0.0.1", Token = Mac, Subnet = "loopback", State = RebarProvision.Model.LeaseState.Bound, ExpiresAt = now.AddHours(1) }, now));
        var files = Path.Combine(_server.Options.DataDir, "files", "bootenvs", "tiny");
        Directory.CreateDirectory(files);
        await File.WriteAllBytesAsync(Path.Combine(files, "vmlinuz"), Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7)).ToArray());
        // The bootenv's own kernel and initrd paths, so the machine is bootable (an image missing here is refused with a reason).
        Directory.CreateDirectory(Path.Combine(files, "tiny"));
        await File.WriteAllTextAsync(Path.Combine(files, "tiny", "vmlinuz"), "kernel");
        await File.WriteAllTextAsync(Path.Combine(files, "tiny", "initrd.img"), "initrd");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task The_shipped_samples_load_their_params_profiles_and_a_disabled_subnet()
    {
        var rootPassword = await (await (await _server.Api.GetAsync("params/root-password")).Expect(HttpStatusCode.OK)).JsonAsync();
        Assert.True(rootPassword["secure"]!.GetValue<bool>());
        await (await _server.Api.GetAsync("profiles/flatcar-cluster")).Expect(HttpStatusCode.OK);
        var subnet = await (await (await _server.Api.GetAsync("subnets/rack1")).Expect(HttpStatusCode.OK)).JsonAsync();
        Assert.False(subnet["enabled"]!.GetValue<bool>());
    }

    [Fact]
    public async Task The_iPXE_script_boots_the_machines_bootenv_with_URLs_on_the_answering_node()
    {
        var script = await (await (await _server.Boot.GetAsync($"boot/{Mac}.ipxe")).Expect(HttpStatusCode.OK)).Content.ReadAsStringAsync();
        var baseUrl = $"http://127.0.0.1:{_server.Options.HttpPort}";
        Assert.StartsWith("#!ipxe", script);
        Assert.Contains($"kernel {baseUrl}/files/bootenvs/tiny/tiny/vmlinuz", script);
        Assert.Contains("initrd=initrd.img", script);
        Assert.Contains($"provision.url={baseUrl}/machines/{_uuid}/user-data", script);

        var machine = await (await _server.Api.GetAsync($"machines/{_uuid}")).JsonAsync();
        Assert.NotNull(machine["lastBootAt"]);
    }

    [Fact]
    public async Task A_machines_cloud_init_is_rendered_with_its_resolved_params()
    {
        var userData = await (await (await _server.Boot.GetAsync($"machines/{_uuid}/user-data")).Expect(HttpStatusCode.OK)).Content.ReadAsStringAsync();
        Assert.Equal("#cloud-config\nhostname: vm1\nntp: 10.0.0.9\n", userData);
        var viaApi = await (await (await _server.Api.GetAsync($"machines/vm1/render/user-data")).Expect(HttpStatusCode.OK)).Content.ReadAsStringAsync();
        Assert.Equal(userData, viaApi);
    }

    [Fact]
    public async Task A_Range_request_gets_exactly_those_bytes_of_the_kernel()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "files/bootenvs/tiny/vmlinuz");
        request.Headers.Range = new RangeHeaderValue(1000, 1099);
        var response = await (await _server.Boot.SendAsync(request)).Expect(HttpStatusCode.PartialContent);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(Enumerable.Range(1000, 100).Select(i => (byte)(i * 7)), bytes);

        using var headRequest = new HttpRequestMessage(HttpMethod.Head, "files/bootenvs/tiny/vmlinuz");
        var head = await _server.Boot.SendAsync(headRequest);
        await head.Expect(HttpStatusCode.OK);
        Assert.Equal(100_000, head.Content.Headers.ContentLength);
        var etag = head.Headers.ETag!;
        using var again = new HttpRequestMessage(HttpMethod.Get, "files/bootenvs/tiny/vmlinuz");
        again.Headers.IfNoneMatch.Add(etag);
        await (await _server.Boot.SendAsync(again)).Expect(HttpStatusCode.NotModified);
    }

    [SkippableFact]
    public async Task Curl_with_a_Range_gets_exactly_those_bytes_of_the_kernel()
    {
        var curl = RebarProvision.Testing.Prerequisite.RequireCommand("curl");
        var output = Path.GetTempFileName();
        var result = await RebarProvision.Testing.ProcessRunner.RunAsync(curl,
            ["-sS", "--fail", "-r", "50000-50999", "-o", output, "-w", "%{http_code}", $"http://127.0.0.1:{_server.Options.HttpPort}/files/bootenvs/tiny/vmlinuz"],
            TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("206", result.StandardOutput.Trim());
        Assert.Equal(Enumerable.Range(50_000, 1000).Select(i => (byte)(i * 7)), await File.ReadAllBytesAsync(output));
    }

    [Theory]
    [InlineData("files/../../../../etc/passwd")]
    [InlineData("files/%2e%2e/%2e%2e/etc/passwd")]
    [InlineData("files/..%2f..%2f..%2fetc%2fpasswd")]
    [InlineData("files/bootenvs/tiny/..%5c..%5cetc%5cpasswd")]
    [InlineData("files//etc/passwd")]
    [InlineData("..%2f..%2fetc%2fpasswd")]
    [InlineData("files/link-out/passwd")]
    public async Task Traversal_attempts_get_nothing_outside_the_roots(string path)
    {
        Directory.CreateSymbolicLink(Path.Combine(_server.Options.DataDir, "files", "link-out"), "/etc");
        var response = await _server.Boot.GetAsync(path);
        Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest, $"{path}: {(int)response.StatusCode}");
        Assert.DoesNotContain("root:", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_installer_callback_with_the_machine_token_marks_it_installed_and_flips_it_to_local()
    {
        var script = await (await _server.Api.GetAsync($"machines/vm1/render/ipxe")).Content.ReadAsStringAsync();
        Assert.Contains("kernel", script);
        var token = TokenFor(_uuid);

        using var wrongReport = new FormUrlEncodedContent([new("status", "installed")]);
        var wrong = await _server.Boot.PostAsync($"machines/{_uuid}/callback?token=1.bad", wrongReport);
        await wrong.Expect(HttpStatusCode.Unauthorized);

        using var okReport = new FormUrlEncodedContent([new("status", "installed")]);
        var ok = await _server.Boot.PostAsync($"machines/{_uuid}/callback?token={token}", okReport);
        await ok.Expect(HttpStatusCode.OK);
        var machine = await (await _server.Api.GetAsync($"machines/{_uuid}")).JsonAsync();
        Assert.Equal("installed", machine["state"]!.GetValue<string>());
        Assert.Equal("local", machine["bootEnv"]!.GetValue<string>());
        var events = (await (await _server.Api.GetAsync($"events?key={_uuid}")).JsonAsync()).AsArray();
        Assert.Contains(events, e => e!["actor"]!.GetValue<string>() == "machine:vm1");
    }

    [Fact]
    public async Task A_token_of_one_machine_does_not_work_for_another()
    {
        var other = await (await (await _server.Api.PostJsonAsync("machines", """{"name":"vm2","hardwareAddrs":["52:54:00:00:00:02"],"bootEnv":"tiny"}""")).Expect(HttpStatusCode.Created)).JsonAsync();
        using var installed = new FormUrlEncodedContent([new("status", "installed")]);
        var response = await _server.Boot.PostAsync($"machines/{other["uuid"]}/callback?token={TokenFor(_uuid)}", installed);
        await response.Expect(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task An_unknown_MAC_booting_iPXE_from_its_lease_address_is_discovered_and_gets_the_discovery_script()
    {
        var store = _server.Service<RebarProvision.Store.IStore>();
        Assert.True(await store.Leases.DeleteAsync("127.0.0.1"));
        var now = DateTimeOffset.UtcNow;
        Assert.NotNull(await store.Leases.TryClaimAsync(
            new RebarProvision.Model.Lease { Addr = "127.0.0.1", Token = "52:54:00:99:99:99", Subnet = "loopback", State = RebarProvision.Model.LeaseState.Bound, ExpiresAt = now.AddHours(1) }, now));
        // The boot service remembers a lease for two seconds.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var response = await _server.Boot.GetAsync("boot/52:54:00:99:99:99.ipxe");
        await response.Expect(HttpStatusCode.OK);
        var machines = (await (await _server.Api.GetAsync("machines?hardwareAddrs=52:54:00:99:99:99")).JsonAsync()).AsArray();
        var discovered = Assert.Single(machines);
        Assert.Equal("discovered", discovered!["state"]!.GetValue<string>());
        Assert.Equal("discovery", discovered["bootEnv"]!.GetValue<string>());
    }

    private string TokenFor(string uuid) =>
        _server.Service<RebarProvision.Server.Auth.MachineTokens>().Issue(_server.Service<RebarProvision.Server.Objects.ObjectCache>().Get<RebarProvision.Model.Machine>(uuid)!);
}
