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
    [GeneratedRegex("rebar-boot-file=(?<file>\\S+)")]
    private static partial Regex BootFileLine();

    [GeneratedRegex("(?<url>http://\\S+/callback\\?token=[^'\"\\s]+)")]
    private static partial Regex CallbackUrl();

    [SkippableFact]
    public async Task An_unknown_machine_is_discovered_provisioned_and_boots_local_afterwards()
    {
        Prerequisite.RequireRoot();
        var udhcpc = Prerequisite.RequireCommand("udhcpc");
        Prerequisite.RequireCommand("curl");
        var (server, client) = NetworkNamespace.CreatePair("lc", "10.96.0.1/24", null);
        using var _ = server;
        using var __ = client;
        var data = Directory.CreateTempSubdirectory("rebar-lifecycle-").FullName;
        var content = LifecycleContent();
        server.Start("dotnet", Path.Combine(AppContext.BaseDirectory, "rebar-provision.dll"), "--data-dir", data, "--content", content,
            "--dhcp-interfaces", "vs", "--advertise", "10.96.0.1", "--api-tls", "false", "--admin-password", "lifecycle-admin", "--node", "lc");
        using var api = NamespacedHttp.Create(server, "http://10.96.0.1:8092/api/v1/");
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:lifecycle-admin")));
        await WaitReadyAsync(api);
        var mac = client.Exec("cat", "/sys/class/net/vc/address").StandardOutput.Trim();

        // 1. First boot: an unknown MAC asks as iPXE and is told to fetch its iPXE script.
        var bootFile = await DhcpBootFileAsync(client, udhcpc);
        Assert.Equal($"http://10.96.0.1:8091/boot/{mac}.ipxe", bootFile);
        var discovered = await OnlyMachineAsync(api, mac);
        Assert.Equal("discovered", discovered["state"]!.GetValue<string>());
        Assert.Equal("discovery", discovered["bootEnv"]!.GetValue<string>());
        var uuid = discovered["uuid"]!.GetValue<string>();
        var lease = await (await api.GetAsync($"leases?token={mac}")).Content.ReadFromJsonAsync<JsonArray>();
        Assert.Equal("bound", Assert.Single(lease!)!["state"]!.GetValue<string>());

        // 2. The discovery image runs its inventory script, which posts to the machine's callback with its token.
        var script = await CurlAsync(client, $"http://10.96.0.1:8091/machines/{uuid}/inventory.sh");
        var callback = CallbackUrl().Match(script).Groups["url"].Value;
        Assert.NotEmpty(callback);
        await CurlAsync(client, callback, "-H", "Content-Type: application/json",
            "--data", """{"status":"discovered","inventory":{"cpus":4,"memoryKiB":8388608,"serial":"LC-0001","vendor":"QEMU"}}""");
        var inventoried = await (await api.GetAsync($"machines/{uuid}")).Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("LC-0001", inventoried!["inventory"]!["serial"]!.GetValue<string>());

        // 3. An operator assigns the installer bootenv: the machine is provisioning.
        var patch = new HttpRequestMessage(HttpMethod.Patch, $"machines/{uuid}")
        {
            Content = new StringContent("""[{"op":"replace","path":"/bootEnv","value":"lc-installer"}]""", Encoding.UTF8, "application/json-patch+json"),
        };
        var patched = await (await api.SendAsync(patch)).Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("provisioning", patched!["state"]!.GetValue<string>());

        // 4. It boots the installer, whose command line carries the callback; the installer reports success.
        Assert.Equal(bootFile, await DhcpBootFileAsync(client, udhcpc));
        var installer = await CurlAsync(client, bootFile);
        Assert.Contains("lc-installer", installer);
        await CurlAsync(client, CallbackUrl().Match(installer).Groups["url"].Value, "--data", "status=installed");
        var installed = await (await api.GetAsync($"machines/{uuid}")).Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("installed", installed!["state"]!.GetValue<string>());
        Assert.Equal("local", installed["bootEnv"]!.GetValue<string>());

        // 5. The next boot: same DHCP answer, and the script now boots the local disk.
        Assert.Equal(bootFile, await DhcpBootFileAsync(client, udhcpc));
        var local = await CurlAsync(client, bootFile);
        Assert.Contains("sanboot", local);
    }

    private static string LifecycleContent()
    {
        var content = Directory.CreateTempSubdirectory("rebar-lifecycle-content-").FullName;
        foreach (var folder in new[] { "bootenvs", "templates" })
        {
            Directory.CreateDirectory(Path.Combine(content, folder));
            foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "content", folder)))
            {
                File.Copy(file, Path.Combine(content, folder, Path.GetFileName(file)));
            }
        }
        Directory.CreateDirectory(Path.Combine(content, "samples"));
        File.WriteAllText(Path.Combine(content, "samples", "lifecycle.yaml"), """
            subnets:
              - name: lifecycle
                cidr: 10.96.0.0/24
                activeStart: 10.96.0.100
                activeEnd: 10.96.0.150
            bootenvs:
              - name: lc-installer
                kernel: vmlinuz
                bootParams: "console=ttyS0 callback={{ env.provisioner_url }}/machines/{{ machine.uuid }}/callback?token={{ token }}"
            """);
        return content;
    }

    /// <summary>udhcpc as iPXE would ask (vendor class PXEClient, user class iPXE); its script prints the boot file and configures the address.</summary>
    private static async Task<string> DhcpBootFileAsync(NetworkNamespace client, string udhcpc)
    {
        var script = Path.Combine(Path.GetTempPath(), "rebar-lc-udhcpc.sh");
        await File.WriteAllTextAsync(script, """
            #!/bin/sh
            case "$1" in bound|renew)
              ip addr flush dev "$interface"; ip addr add "$ip/${mask:-24}" dev "$interface"
              echo "rebar-boot-file=$boot_file" ;;
            esac
            """);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var result = await client.RunAsync(TimeSpan.FromSeconds(60), udhcpc, "-i", "vc", "-n", "-q", "-f", "-t", "5", "-T", "2",
            "-V", "PXEClient:Arch:00000:UNDI:002001", "-x", "0x4d:69505845", "-s", script);
        Assert.True(result.ExitCode == 0, result.ToString());
        return BootFileLine().Match(result.Output).Groups["file"].Value;
    }

    private static async Task<string> CurlAsync(NetworkNamespace client, string url, params string[] extra)
    {
        var result = await client.RunAsync(TimeSpan.FromSeconds(30), ["curl", "-sS", "--fail", .. extra, url]);
        Assert.True(result.ExitCode == 0, $"curl {url}: {result}");
        return result.StandardOutput;
    }

    private static async Task<JsonObject> OnlyMachineAsync(HttpClient api, string mac)
    {
        var machines = await (await api.GetAsync($"machines?hardwareAddrs={mac}")).Content.ReadFromJsonAsync<JsonArray>();
        return (JsonObject)Assert.Single(machines!)!;
    }

    private static async Task WaitReadyAsync(HttpClient api)
    {
        for (var i = 0; i < 300; i++)
        {
            try
            {
                if ((await api.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        Assert.Fail("the server in the namespace did not become ready within 30 s");
    }
}
