using System.Text;
using System.Text.Json.Nodes;
using RebarProvision.Model;
using RebarProvision.Rendering;
using RebarProvision.Testing;

namespace RebarProvision.Rendering.Tests;

/// <summary>
/// The live-cloudinit and image-deploy bootenvs: what real cloud-init reads (user-data, network-config per NIC by
/// MAC) and the installer script, checked with cloud-init's own schema, bash's parser and a YAML parser.
/// </summary>
public sealed class CloudInitOsContentTests
{
    private const string Uuid = "3f1c8a52-7d0e-4b8e-9c1a-2f6d5e4b3a21";

    private static BootRenderer Renderer() => new(new TemplateSandbox(ContentFolder.LoadTemplates(), m => "tok-" + m.Uuid[..8], RenderLimits.Default));

    private static BootEnv Load(string name) => ContentFolder.LoadBootEnv(Path.Combine(ContentFolder.Root, "bootenvs", name + ".yaml"));

    private static MachineRenderContext Context(string bootEnv, Action<Machine>? change = null, Subnet? subnet = null)
    {
        var machine = Samples.Machine();
        machine.Params["image-sha256"] = new string('a', 64);
        change?.Invoke(machine);
        var context = Samples.Context(machine, Load(bootEnv));
        return subnet is null ? context : context with { Subnet = subnet };
    }

    private static Subnet Rack1(params DhcpOptionValue[] options) => new()
    {
        Name = "rack1",
        Cidr = "10.20.0.0/24",
        ActiveStart = "10.20.0.100",
        ActiveEnd = "10.20.0.200",
        Revision = 3,
        Options = [.. options],
    };

    private static JsonNode Network(MachineRenderContext context) =>
        Yaml(Renderer().RenderMachineFile(context, $"machines/{Uuid}/network-config")!.Contents)["network"]!;

    [Fact]
    public void Without_inventory_each_of_the_machines_macs_gets_dhcp_under_a_stable_name()
    {
        var network = Network(Context("live-cloudinit"));
        Assert.Equal(2, network["version"]!.GetValue<long>());
        Assert.Equal("52:54:00:12:34:56", network["ethernets"]!["eth0"]!["match"]!["macaddress"]!.GetValue<string>());
        Assert.Equal("eth0", network["ethernets"]!["eth0"]!["set-name"]!.GetValue<string>());
        Assert.Equal("52:54:00:12:34:57", network["ethernets"]!["eth1"]!["match"]!["macaddress"]!.GetValue<string>());
        Assert.True(network["ethernets"]!["eth1"]!["dhcp4"]!.GetValue<bool>());
        Assert.Null(network["bonds"]);
    }

    [Fact]
    public void Two_discovered_nics_with_network_bond_form_bond0_with_the_static_lease_address_and_router()
    {
        var subnet = Rack1(new DhcpOptionValue { Code = 3, Value = "10.20.0.1" }, new DhcpOptionValue { Code = 6, Value = "10.20.0.2,10.20.0.3" });
        var context = Context("image-deploy", m =>
        {
            m.Inventory = JsonNode.Parse("""{"nics":[{"name":"eth0","mac":"AA:BB:CC:00:00:01"},{"name":"eth1","mac":"aa:bb:cc:00:00:02"}]}""")!.AsObject();
            m.Params["network-bond"] = true;
            m.Params["network-static"] = true;
        }, subnet);
        var network = Network(context);
        Assert.Equal("aa:bb:cc:00:00:01", network["ethernets"]!["eth0"]!["match"]!["macaddress"]!.GetValue<string>());
        Assert.Null(network["ethernets"]!["eth0"]!["dhcp4"]);
        var bond = network["bonds"]!["bond0"]!;
        Assert.Equal(["eth0", "eth1"], bond["interfaces"]!.AsArray().Select(i => i!.GetValue<string>()));
        Assert.Equal("active-backup", bond["parameters"]!["mode"]!.GetValue<string>());
        Assert.Equal("10.20.0.57/24", bond["addresses"]![0]!.GetValue<string>());
        Assert.Equal("10.20.0.1", bond["routes"]![0]!["via"]!.GetValue<string>());
    }

    [Fact]
    public void A_single_static_nic_gets_the_lease_address_and_dns_servers()
    {
        var subnet = Rack1(new DhcpOptionValue { Code = 6, Value = "10.20.0.2, 10.20.0.3" });
        var network = Network(Context("live-cloudinit", m => { m.Params["network-nics"] = new JsonArray("52:54:00:12:34:56"); m.Params["network-static"] = true; }, subnet));
        var nic = network["ethernets"]!["eth0"]!;
        Assert.Equal("10.20.0.57/24", nic["addresses"]![0]!.GetValue<string>());
        Assert.Equal(["10.20.0.2", "10.20.0.3"], nic["nameservers"]!["addresses"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Null(network["ethernets"]!["eth1"]);
    }

    [Fact]
    public void The_kernel_command_line_points_nocloud_at_the_machine_files_and_carries_the_same_network_config()
    {
        var context = Context("live-cloudinit");
        var commandLine = Renderer().RenderKernelCommandLine(context);
        Assert.Contains($" ds=nocloud-net;s=http://10.20.0.1:8091/machines/{Uuid}/ ", commandLine);
        Assert.StartsWith("boot=live fetch=http://10.20.0.1:8091/files/bootenvs/live-cloudinit/filesystem.squashfs ", commandLine);
        var encoded = commandLine.Split(' ').Single(p => p.StartsWith("network-config=", StringComparison.Ordinal))["network-config=".Length..];
        Assert.Equal(Renderer().RenderMachineFile(context, $"machines/{Uuid}/network-config")!.Contents, Encoding.UTF8.GetString(Convert.FromBase64String(encoded)));
        var installer = Renderer().RenderKernelCommandLine(Context("image-deploy"));
        Assert.Contains($" ds=nocloud-net;s=http://10.20.0.1:8091/machines/{Uuid}/installer/ ", installer);
    }

    [SkippableFact]
    public async Task The_os_user_data_and_the_installer_user_data_pass_cloud_init_schema()
    {
        var cloudInit = Prerequisite.RequireCommand("cloud-init");
        var context = Context("image-deploy", m => m.Params["write-files"] = JsonNode.Parse("""[{"path":"/etc/motd","content":"hello\n"}]"""));
        foreach (var path in new[] { $"machines/{Uuid}/user-data", $"machines/{Uuid}/installer/user-data" })
        {
            var contents = Renderer().RenderMachineFile(context, path)!.Contents;
            var result = await RunWithFileAsync(cloudInit, ["schema", "--config-file"], contents);
            Assert.True(result.ExitCode == 0, $"{path} failed cloud-init schema:\n{result}\n--- document\n{contents}");
            Assert.Contains("Valid cloud-config", result.Output);
        }
        var userData = Yaml(Renderer().RenderMachineFile(context, $"machines/{Uuid}/user-data")!.Contents);
        var admin = userData["users"]![0]!;
        Assert.Equal("admin", admin["name"]!.GetValue<string>());
        Assert.StartsWith("ssh-ed25519 AAAAC3", admin["ssh_authorized_keys"]![0]!.GetValue<string>());
        Assert.Equal("rack1-node07", userData["hostname"]!.GetValue<string>());
        var files = userData["write_files"]!.AsArray();
        Assert.Contains(files, f => f!["path"]!.GetValue<string>() == "/etc/motd" && f["content"]!.GetValue<string>() == "hello\n");
        var callback = files.Single(f => f!["path"]!.GetValue<string>() == "/usr/local/sbin/rebar-callback")!["content"]!.GetValue<string>();
        Assert.Contains($"'http://10.20.0.1:8091/machines/{Uuid}/callback?token=tok-3f1c8a52'", callback);
    }

    [SkippableFact]
    public async Task The_installer_script_is_valid_bash_and_checks_the_images_sha256()
    {
        var bash = Prerequisite.RequireCommand("bash");
        var context = Context("image-deploy", m => m.Params["install-disk"] = "serial:disk-1");
        var installer = Yaml(Renderer().RenderMachineFile(context, $"machines/{Uuid}/installer/user-data")!.Contents);
        var script = installer["write_files"]![0]!["content"]!.GetValue<string>();
        var result = await RunWithFileAsync(bash, ["-n"], script);
        Assert.True(result.ExitCode == 0, $"bash -n:\n{result}\n--- script\n{script}");
        Assert.Contains($"want=\"{new string('a', 64)}\"\n", script);
        Assert.Contains("image_url=\"http://10.20.0.1:8091/files/bootenvs/image-deploy/disk.img.zst\"\n", script);
        Assert.Contains("wanted_disk=\"serial:disk-1\"\n", script);
    }

    private static async Task<ProcessRunner.Result> RunWithFileAsync(string command, string[] arguments, string contents)
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, contents);
            return await ProcessRunner.RunAsync(command, [.. arguments, file], TimeSpan.FromSeconds(60));
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static JsonNode Yaml(string text)
    {
        var yaml = new YamlDotNet.RepresentationModel.YamlStream();
        yaml.Load(new StringReader(text));
        return ContentFolder.ToJson(yaml.Documents[0].RootNode)!;
    }
}
