using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RebarProvision.Model;
using RebarProvision.Store;

namespace RebarProvision.Server.Tests;

/// <summary>
/// The boot port on a hostile network (issue #13 items 1, 2, 11): a machine's files go to the address of its bound
/// lease or to whoever holds its current boot secret, and to nobody else. Clients speak from loopback addresses of
/// their own (127.0.0.x), standing for machines with and without leases.
/// </summary>
public sealed partial class BootAccessTests : IAsyncLifetime
{
    private TestServer _server = null!;
    private string _vm1 = "", _vm2 = "", _vm3 = "";

    private const string Mac1 = "52:54:00:aa:00:01";
    private const string Mac2 = "52:54:00:aa:00:02";
    private const string Mac3 = "52:54:00:aa:00:03";
    private const string Vm1Address = "127.0.0.2";
    private const string Stranger = "127.0.0.3";
    private const string Vm2OfferedAddress = "127.0.0.4";
    private const string Vm3ExpiredAddress = "127.0.0.5";

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync(o => o.Content = TestServer.ShippedContent());
        await (await _server.Api.PostJsonAsync("templates", """{"name":"access-user-data","contents":"#cloud-config\nhostname: {{ machine.name }}\n"}""")).Expect(HttpStatusCode.Created);
        await (await _server.Api.PostJsonAsync("bootenvs", """
            {"name":"tiny","kernel":"vmlinuz",
             "bootParams":"provision.url={{ env.machine_url }}/user-data callback={{ env.machine_url }}/callback?token={{ token }}",
             "templates":[{"name":"user-data","path":"machines/{{ machine.uuid }}/user-data","template":"access-user-data"},
                          {"name":"by-address","path":"by-address","contents":"hello {{ machine.name }}\n"}]}
            """)).Expect(HttpStatusCode.Created);
        // The kernel on disk, or the script only explains that the machine cannot boot.
        var files = Path.Combine(_server.Options.DataDir, "files", "bootenvs", "tiny");
        Directory.CreateDirectory(files);
        await File.WriteAllTextAsync(Path.Combine(files, "vmlinuz"), "kernel");
        _vm1 = await CreateMachineAsync("vm1", Mac1);
        _vm2 = await CreateMachineAsync("vm2", Mac2);
        _vm3 = await CreateMachineAsync("vm3", Mac3);
        await LeaseAsync(Vm1Address, Mac1, LeaseState.Bound, TimeSpan.FromHours(1));
        await LeaseAsync(Vm2OfferedAddress, Mac2, LeaseState.Offered, TimeSpan.FromHours(1));
        await LeaseAsync(Vm3ExpiredAddress, Mac3, LeaseState.Bound, TimeSpan.FromMinutes(-1));
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_machines_files_go_to_its_lease_address_and_to_nobody_else()
    {
        using var vm1 = From(Vm1Address);
        using var stranger = From(Stranger);
        Assert.Equal("#cloud-config\nhostname: vm1\n", await (await (await vm1.GetAsync($"machines/{_vm1}/user-data")).Expect(HttpStatusCode.OK)).Content.ReadAsStringAsync());
        Assert.Equal("hello vm1\n", await (await (await vm1.GetAsync("by-address")).Expect(HttpStatusCode.OK)).Content.ReadAsStringAsync());

        await (await stranger.GetAsync($"machines/{_vm1}/user-data")).Expect(HttpStatusCode.NotFound);
        await (await _server.Boot.GetAsync($"machines/{_vm1}/user-data")).Expect(HttpStatusCode.NotFound);
        await (await stranger.GetAsync("by-address")).Expect(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_lease_that_is_only_offered_or_has_expired_opens_nothing()
    {
        using var offered = From(Vm2OfferedAddress);
        using var expired = From(Vm3ExpiredAddress);
        await (await offered.GetAsync("by-address")).Expect(HttpStatusCode.NotFound);
        await (await offered.GetAsync($"machines/{_vm2}/user-data")).Expect(HttpStatusCode.NotFound);
        await (await expired.GetAsync("by-address")).Expect(HttpStatusCode.NotFound);
        await (await expired.GetAsync($"machines/{_vm3}/user-data")).Expect(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_iPXE_script_goes_only_to_the_lease_address_of_its_MAC()
    {
        using var vm1 = From(Vm1Address);
        using var stranger = From(Stranger);
        var script = await (await (await vm1.GetAsync($"boot/{Mac1}.ipxe")).Expect(HttpStatusCode.OK)).Content.ReadAsStringAsync();
        Assert.Contains($"/machines/{_vm1}/", script);

        await (await stranger.GetAsync($"boot/{Mac1}.ipxe")).Expect(HttpStatusCode.NotFound);
        await (await vm1.GetAsync($"boot/{Mac2}.ipxe")).Expect(HttpStatusCode.NotFound);
        // Nor does asking for a MAC nobody leased create a machine for it.
        await (await stranger.GetAsync("boot/52:54:00:99:99:98.ipxe")).Expect(HttpStatusCode.NotFound);
        Assert.Empty((await (await _server.Api.GetAsync("machines?hardwareAddrs=52:54:00:99:99:98")).JsonAsync()).AsArray());
    }

    [Fact]
    public async Task The_secret_URL_serves_the_machines_files_from_any_address_until_a_reimage()
    {
        using var stranger = From(Stranger);
        var (machineUrl, _) = await BootUrlsAsync();
        Assert.Matches($"/machines/{_vm1}/[0-9a-f]{{32}}$", machineUrl);
        var userData = await (await (await stranger.GetAsync($"{machineUrl}/user-data")).Expect(HttpStatusCode.OK)).Content.ReadAsStringAsync();
        Assert.Equal("#cloud-config\nhostname: vm1\n", userData);

        await (await _server.Api.PostJsonAsync("machines/vm1/reimage", """{"bootEnv":"tiny"}""")).Expect(HttpStatusCode.OK);

        await (await stranger.GetAsync($"{machineUrl}/user-data")).Expect(HttpStatusCode.NotFound);
        var (rotated, _) = await BootUrlsAsync();
        Assert.NotEqual(machineUrl, rotated);
        await (await stranger.GetAsync($"{rotated}/user-data")).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_secret_of_one_machine_opens_no_other_machine()
    {
        using var stranger = From(Stranger);
        var (machineUrl, _) = await BootUrlsAsync();
        var secret = machineUrl[(machineUrl.LastIndexOf('/') + 1)..];
        await (await stranger.GetAsync($"machines/{_vm2}/{secret}/user-data")).Expect(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_reimage_or_a_rotation_revokes_the_machines_callback_token()
    {
        using var stranger = From(Stranger);
        var (_, callback) = await BootUrlsAsync();
        using var firstTry = Form("failed", "first try");
        await (await stranger.PostAsync(callback, firstTry)).Expect(HttpStatusCode.OK);

        await (await _server.Api.PostAsync("machines/vm1/rotate-secret", null)).Expect(HttpStatusCode.OK);
        using var afterRotation = Form("failed", "after rotation");
        await (await stranger.PostAsync(callback, afterRotation)).Expect(HttpStatusCode.Unauthorized);

        var (_, second) = await BootUrlsAsync();
        using var secondTry = Form("failed", "second try");
        await (await stranger.PostAsync(second, secondTry)).Expect(HttpStatusCode.OK);
        await (await _server.Api.PostJsonAsync("machines/vm1/reimage", """{"bootEnv":"tiny"}""")).Expect(HttpStatusCode.OK);
        using var afterReimage = Form("failed", "after reimage");
        await (await stranger.PostAsync(second, afterReimage)).Expect(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Operators_never_see_the_boot_secret_only_admins_do()
    {
        var (machineUrl, _) = await BootUrlsAsync();
        var secret = machineUrl[(machineUrl.LastIndexOf('/') + 1)..];
        await AuthClients.CreateUserAsync(_server, "olga", "operator", "olga-password-1");
        using var olga = AuthClients.Basic(_server, "olga", "olga-password-1");

        Assert.DoesNotContain(secret, await (await olga.GetAsync("machines/vm1")).Content.ReadAsStringAsync());
        Assert.DoesNotContain(secret, await (await _server.Api.GetAsync("machines/vm1")).Content.ReadAsStringAsync());
        Assert.DoesNotContain(secret, await (await _server.Api.GetAsync($"events?key={_vm1}")).Content.ReadAsStringAsync());
        Assert.DoesNotContain(secret, await (await (await olga.GetAsync("machines/vm1/render/ipxe")).Expect(HttpStatusCode.OK)).Content.ReadAsStringAsync());
        Assert.Contains(secret, await (await (await _server.Api.GetAsync("machines/vm1/render/ipxe")).Expect(HttpStatusCode.OK)).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_inventory_over_1_MiB_is_refused_and_not_stored()
    {
        var (machineUrl, callback) = await BootUrlsAsync();
        var token = callback[(callback.IndexOf("token=", StringComparison.Ordinal) + 6)..];
        var huge = new JsonObject { ["blob"] = new string('x', 1024 * 1024) }.ToJsonString();
        var response = await _server.Boot.PostAsync($"{machineUrl}/inventory?token={token}", new StringContent(huge, System.Text.Encoding.UTF8, "application/json"));
        await response.Expect(HttpStatusCode.RequestEntityTooLarge);
        Assert.Null((await (await _server.Api.GetAsync("machines/vm1")).JsonAsync())["inventory"]);

        var bigForm = new StringContent("status=failed&message=" + new string('x', 20_000), System.Text.Encoding.UTF8, "application/x-www-form-urlencoded");
        await (await _server.Boot.PostAsync(callback, bigForm)).Expect(HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task The_same_inventory_posted_again_writes_one_event_not_one_per_post()
    {
        var (machineUrl, callback) = await BootUrlsAsync();
        var token = callback[(callback.IndexOf("token=", StringComparison.Ordinal) + 6)..];
        for (var i = 0; i < 5; i++)
        {
            using var inventory = Json("""{"cpus":4,"memoryKiB":8388608}""");
            await (await _server.Boot.PostAsync($"{machineUrl}/inventory?token={token}", inventory)).Expect(HttpStatusCode.NoContent);
            using var report = Json("""{"status":"discovered","inventory":{"cpus":4,"memoryKiB":8388608}}""");
            await (await _server.Boot.PostAsync(callback, report)).Expect(HttpStatusCode.OK);
        }
        Assert.Single(await MachineWrittenEventsAsync());
    }

    [Fact]
    public async Task A_machine_changing_itself_faster_than_its_limit_is_told_to_retry_later()
    {
        var (machineUrl, callback) = await BootUrlsAsync();
        var token = callback[(callback.IndexOf("token=", StringComparison.Ordinal) + 6)..];
        for (var i = 0; i < 10; i++)
        {
            using var inventory = Json($$"""{"cpus":{{i}}}""");
            await (await _server.Boot.PostAsync($"{machineUrl}/inventory?token={token}", inventory)).Expect(HttpStatusCode.NoContent);
        }
        using var tooMany = Json("""{"cpus":99}""");
        var refused = await _server.Boot.PostAsync($"{machineUrl}/inventory?token={token}", tooMany);
        await refused.Expect(HttpStatusCode.TooManyRequests);
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Equal(10, (await MachineWrittenEventsAsync()).Count);
    }

    [Fact]
    public async Task A_token_with_an_expiry_beyond_any_date_is_refused_not_a_server_error()
    {
        using var report = Form("installed", null);
        await (await _server.Boot.PostAsync($"machines/{_vm1}/callback?token=99999999999999999.abc", report)).Expect(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_callback_for_a_uuid_that_does_not_exist_answers_as_a_wrong_token_does()
    {
        using var unknownReport = Form("installed", null);
        var unknown = await _server.Boot.PostAsync($"machines/{Guid.NewGuid()}/callback?token=1.bad", unknownReport);
        using var wrongReport = Form("installed", null);
        var wrong = await _server.Boot.PostAsync($"machines/{_vm1}/callback?token=1.bad", wrongReport);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal(wrong.StatusCode, unknown.StatusCode);
        static async Task<string> WithoutTrace(HttpResponseMessage response)
        {
            var problem = (await response.JsonAsync()).AsObject();
            problem.Remove("traceId");
            return problem.ToJsonString();
        }
        Assert.Equal(await WithoutTrace(wrong), await WithoutTrace(unknown));
    }

    [Fact]
    public async Task A_template_error_on_the_boot_port_tells_the_client_nothing_about_it()
    {
        await (await _server.Api.PostJsonAsync("bootenvs", """
            {"name":"broken","kernel":"vmlinuz","templates":[{"name":"oops","path":"machines/{{ machine.uuid }}/oops","contents":"line one\n{{ template \"no-such-template-xyz\" }}\n"}]}
            """)).Expect(HttpStatusCode.Created);
        await (await _server.Api.PatchJsonAsync("machines/vm1", """[{"op":"replace","path":"/bootEnv","value":"broken"}]""")).Expect(HttpStatusCode.OK);
        using var vm1 = From(Vm1Address);

        var response = await vm1.GetAsync($"machines/{_vm1}/oops");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("oops", body);
        Assert.DoesNotContain("no-such-template-xyz", body);
        Assert.DoesNotContain("line", body);
    }

    /// <summary>env.machine_url and the callback URL, read from the iPXE script as the machine receives it.</summary>
    private async Task<(string MachineUrl, string Callback)> BootUrlsAsync()
    {
        using var vm1 = From(Vm1Address);
        var script = await (await (await vm1.GetAsync($"boot/{Mac1}.ipxe")).Expect(HttpStatusCode.OK)).Content.ReadAsStringAsync();
        var provision = ProvisionUrl().Match(script);
        var callback = CallbackUrl().Match(script);
        Assert.True(provision.Success && callback.Success, script);
        return (new Uri(provision.Groups[1].Value).AbsolutePath, new Uri(callback.Groups[1].Value).PathAndQuery);
    }

    [GeneratedRegex(@"provision\.url=(\S+)/user-data")]
    private static partial Regex ProvisionUrl();

    [GeneratedRegex(@"callback=(\S+)")]
    private static partial Regex CallbackUrl();

    private async Task<List<JsonNode?>> MachineWrittenEventsAsync() =>
        (await (await _server.Api.GetAsync($"events?key={_vm1}")).JsonAsync()).AsArray()
            .Where(e => e!["actor"]!.GetValue<string>() == "machine:vm1").ToList();

    private async Task<string> CreateMachineAsync(string name, string mac) =>
        (await (await (await _server.Api.PostJsonAsync("machines", $$"""{"name":"{{name}}","hardwareAddrs":["{{mac}}"],"bootEnv":"tiny"}""")).Expect(HttpStatusCode.Created)).JsonAsync())["uuid"]!.GetValue<string>();

    private async Task LeaseAsync(string address, string mac, LeaseState state, TimeSpan validFor)
    {
        var now = DateTimeOffset.UtcNow;
        var lease = await _server.Service<IStore>().Leases.TryClaimAsync(
            new Lease { Addr = address, Token = mac, Subnet = "loopback", State = state, ExpiresAt = now + validFor }, now);
        Assert.NotNull(lease);
    }

    private static FormUrlEncodedContent Form(string status, string? message) =>
        new(message is null ? [new("status", status)] : [new("status", status), new("message", message)]);

    private static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    /// <summary>A client of the boot port whose connections come from <paramref name="source"/>, as a machine with that address.</summary>
    private HttpClient From(string source) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    {
        BaseAddress = _server.Boot.BaseAddress,
    };
}
