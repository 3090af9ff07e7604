using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RebarProvision.Testing;

namespace RebarProvision.EndToEnd.Tests;

/// <summary>
/// The whole life of a machine, driven the way an operator and the machine itself would: an unknown MAC asks our DHCP
/// (busybox udhcpc as iPXE, inside a namespace) → it is discovered → its inventory is posted → an operator sets a
/// bootenv → the installer's callback reports installed → the next boot answer is the local disk.
/// </summary>
public sealed partial class MachineLifecycleTests
{
    [GeneratedRegex("(?<url>http://\\S+/callback\\?token=[^'\"\\s]+)")]
    private static partial Regex CallbackUrl();

    [SkippableFact]
    public async Task An_unknown_machine_is_discovered_provisioned_and_boots_local_afterwards()
    {
        Prerequisite.RequireRoot();
        Prerequisite.RequireCommand("curl");
        using var server = await NamespacedServer.StartAsync("lc", "10.96.0", """
            bootenvs:
              - name: lc-installer
                kernel: vmlinuz
                bootParams: "console=ttyS0 callback={{ env.provisioner_url }}/machines/{{ machine.uuid }}/callback?token={{ token }}"
            """);
        var api = server.Api;
        var client = server.ClientNamespace;
        var mac = client.Exec("cat", "/sys/class/net/vc/address").StandardOutput.Trim();

        // 1. First boot: an unknown MAC asks as iPXE and is told to fetch its iPXE script.
        var bootFile = await server.DhcpBootFileAsync();
        Assert.Equal($"http://10.96.0.1:8091/boot/{mac}.ipxe", bootFile);
        var discovered = await OnlyMachineAsync(api, mac);
        Assert.Equal("discovered", discovered["state"]!.GetValue<string>());
        Assert.Equal("discovery", discovered["bootEnv"]!.GetValue<string>());
        var uuid = discovered["uuid"]!.GetValue<string>();
        var lease = await (await api.GetAsync($"leases?token={mac}")).Content.ReadFromJsonAsync<JsonArray>();
        Assert.Equal("bound", Assert.Single(lease!)!["state"]!.GetValue<string>());

        // 2. The discovery image runs its inventory script, which posts to the machine's callback with its token.
        var script = await server.CurlAsync($"http://10.96.0.1:8091/machines/{uuid}/inventory.sh");
        var callback = CallbackUrl().Match(script).Groups["url"].Value;
        Assert.NotEmpty(callback);
        await server.CurlAsync(callback, "-H", "Content-Type: application/json",
            "--data", """{"status":"discovered","inventory":{"cpus":4,"memoryKiB":8388608,"serial":"LC-0001","vendor":"QEMU"}}""");
        var inventoried = await (await api.GetAsync($"machines/{uuid}")).Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("LC-0001", inventoried!["inventory"]!["serial"]!.GetValue<string>());

        // 3. An operator assigns the installer bootenv: the machine is provisioning.
        using var patch = new HttpRequestMessage(HttpMethod.Patch, $"machines/{uuid}")
        {
            Content = new StringContent("""[{"op":"replace","path":"/bootEnv","value":"lc-installer"}]""", Encoding.UTF8, "application/json-patch+json"),
        };
        var patched = await (await api.SendAsync(patch)).Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("provisioning", patched!["state"]!.GetValue<string>());

        // 4. It boots the installer, whose command line carries the callback; the installer reports success. (Its kernel
        //    must be on this node, or the script only explains why the machine cannot boot.)
        Directory.CreateDirectory(Path.Combine(server.DataDir, "files", "bootenvs", "lc-installer"));
        await File.WriteAllTextAsync(Path.Combine(server.DataDir, "files", "bootenvs", "lc-installer", "vmlinuz"), "kernel");
        Assert.Equal(bootFile, await server.DhcpBootFileAsync());
        var installer = await server.CurlAsync(bootFile);
        Assert.Contains("lc-installer", installer);
        await server.CurlAsync(CallbackUrl().Match(installer).Groups["url"].Value, "--data", "status=installed");
        var installed = await (await api.GetAsync($"machines/{uuid}")).Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("installed", installed!["state"]!.GetValue<string>());
        Assert.Equal("local", installed["bootEnv"]!.GetValue<string>());

        // 5. The next boot: same DHCP answer, and the script now boots the local disk.
        Assert.Equal(bootFile, await server.DhcpBootFileAsync());
        var local = await server.CurlAsync(bootFile);
        Assert.Contains("sanboot", local);
    }

    private static async Task<JsonObject> OnlyMachineAsync(HttpClient api, string mac)
    {
        var machines = await (await api.GetAsync($"machines?hardwareAddrs={mac}")).Content.ReadFromJsonAsync<JsonArray>();
        return (JsonObject)Assert.Single(machines!)!;
    }
}
