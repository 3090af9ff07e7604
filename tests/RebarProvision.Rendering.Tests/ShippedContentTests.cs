using System.Text.Json.Nodes;
using RebarProvision.Model;
using RebarProvision.Rendering;
using RebarProvision.Testing;

namespace RebarProvision.Rendering.Tests;

public sealed class ShippedContentTests
{
    private static readonly string[] Shipped =
    [
        "debian-netboot", "discovery", "fedora-coreos", "flatcar", "ignore", "image-deploy", "linuxkit", "live-cloudinit",
        "local", "rancheros", "rocky-kickstart", "ubuntu-autoinstall",
    ];

    public static TheoryData<string> BootEnvNames() => new(Shipped);

    private static BootRenderer Renderer() => new(new TemplateSandbox(ContentFolder.LoadTemplates(), m => "tok-" + m.Uuid[..8], RenderLimits.Default));

    private static MachineRenderContext Context(BootEnv bootEnv)
    {
        var machine = Samples.Machine();
        machine.Params["root-password"] = "correct horse battery staple";
        machine.Params["ntp-servers"] = new JsonArray("0.pool.ntp.org", "1.pool.ntp.org");
        machine.Params["packages"] = new JsonArray("curl", "jq");
        machine.Params["image-sha256"] = new string('0', 64);
        return Samples.Context(machine, bootEnv);
    }

    private static BootEnv Load(string name) => ContentFolder.LoadBootEnv(Path.Combine(ContentFolder.Root, "bootenvs", name + ".yaml"));

    [Fact]
    public void The_shipped_bootenvs_are_the_ones_the_design_lists_and_all_are_valid()
    {
        var bootEnvs = ContentFolder.LoadBootEnvs();
        Assert.Equal(Shipped, bootEnvs.Select(b => b.Name));
        foreach (var bootEnv in bootEnvs)
        {
            Assert.Empty(bootEnv.Validate());
            Assert.False(string.IsNullOrWhiteSpace(bootEnv.Description));
        }
        Assert.True(Load("discovery").OnlyUnknown);
    }

    [Fact]
    public void Every_shipped_template_parses()
    {
        var templates = ContentFolder.LoadTemplates();
        var sandbox = new TemplateSandbox(templates, issueToken: null, RenderLimits.Default);
        foreach (var file in Directory.GetFiles(Path.Combine(ContentFolder.Root, "templates"), "*.tmpl"))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            Assert.Null(sandbox.CheckSyntax(name, templates.Find(name)!.Contents));
        }
    }

    [Theory]
    [MemberData(nameof(BootEnvNames))]
    public void Each_bootenv_renders_its_files_command_line_and_boot_documents_for_a_sample_machine(string name)
    {
        var bootEnv = Load(name);
        var renderer = Renderer();
        var context = Context(bootEnv);
        var paths = renderer.MachineFilePaths(context);
        Assert.Equal(bootEnv.Templates.Count, paths.Count);
        foreach (var (path, _) in paths)
        {
            var file = renderer.RenderMachineFile(context, path);
            Assert.NotNull(file);
            Assert.DoesNotContain("{{", file.Contents);
        }
        var commandLine = renderer.RenderKernelCommandLine(context);
        Assert.DoesNotContain("\n", commandLine);
        foreach (var loader in Enum.GetValues<BootLoader>())
        {
            var script = renderer.RenderBootScript(context, loader).Contents;
            Assert.False(string.IsNullOrWhiteSpace(script));
            if (bootEnv.Kernel is not null)
            {
                Assert.Contains(commandLine.Replace(";", loader == BootLoader.Grub ? "\\;" : ";"), script);
            }
        }
    }

    [Theory]
    [MemberData(nameof(BootEnvNames))]
    public void Every_per_machine_URL_a_shipped_bootenv_hands_out_is_built_from_env_machine_url(string name)
    {
        const string secretUrl = "http://10.20.0.1:8091/machines/3f1c8a52-7d0e-4b8e-9c1a-2f6d5e4b3a21/0123456789abcdef0123456789abcdef";
        var context = Context(Load(name)) with { MachineUrl = secretUrl };
        var renderer = Renderer();
        var outputs = new List<string> { renderer.RenderKernelCommandLine(context) };
        outputs.AddRange(renderer.MachineFilePaths(context).Keys.Select(path => renderer.RenderMachineFile(context, path)!.Contents));
        foreach (var output in outputs)
        {
            // Every mention of the machine's files carries the secret; none is the address-bound form built by hand.
            var bare = output.Replace(secretUrl, "", StringComparison.Ordinal);
            Assert.DoesNotContain("/machines/3f1c8a52-7d0e-4b8e-9c1a-2f6d5e4b3a21", bare);
        }
    }

    [Fact]
    public void Ipxe_scripts_name_every_initrd_on_the_kernel_line_for_efi_stub_kernels()
    {
        var script = Renderer().RenderBootScript(Context(Load("fedora-coreos")), BootLoader.Ipxe).Contents;
        Assert.Contains(" initrd=fedora-coreos-live-initramfs.x86_64.img ", script);
        Assert.Contains("initrd --name fedora-coreos-live-initramfs.x86_64.img http://10.20.0.1:8091/files/bootenvs/fedora-coreos/fedora-coreos-live-initramfs.x86_64.img", script);
        Assert.Contains("ignition.config.url=http://10.20.0.1:8091/machines/3f1c8a52-7d0e-4b8e-9c1a-2f6d5e4b3a21/ignition.json", script);
    }

    [Fact]
    public void The_local_bootenv_boots_the_first_disk_on_bios_and_exits_on_uefi()
    {
        var renderer = Renderer();
        var context = Context(Load("local"));
        Assert.Contains("sanboot --no-describe --drive 0x80", renderer.RenderBootScript(context, BootLoader.Ipxe).Contents);
        Assert.Contains("LOCALBOOT 0", renderer.RenderBootScript(context, BootLoader.Pxelinux).Contents);
        Assert.Contains("exit", renderer.RenderBootScript(context, BootLoader.Grub).Contents);
    }

    [Fact]
    public void Debian_preseed_sets_the_hashed_root_password_and_posts_the_callback()
    {
        var renderer = Renderer();
        var context = Context(Load("debian-netboot"));
        var preseed = renderer.RenderMachineFile(context, $"machines/{context.Machine.Uuid}/preseed.cfg")!.Contents;
        Assert.Contains($"d-i passwd/root-password-crypted password {Sha512Crypt.Hash("correct horse battery staple", "3f1c8a527d0e4b8e")}\n", preseed);
        Assert.Contains("-d status=installed 'http://10.20.0.1:8091/machines/3f1c8a52-7d0e-4b8e-9c1a-2f6d5e4b3a21/callback?token=tok-3f1c8a52'", preseed);
        Assert.Contains("d-i debian-installer/locale string en_US.UTF-8\n", preseed);
        Assert.Contains("d-i mirror/http/hostname string deb.debian.org\n", preseed);
        Assert.DoesNotContain("partman-auto/disk", preseed);
        Assert.StartsWith("auto=true priority=critical url=http://10.20.0.1:8091/machines/3f1c8a52-7d0e-4b8e-9c1a-2f6d5e4b3a21/preseed.cfg ", renderer.RenderKernelCommandLine(context));
    }

    [Fact]
    public void Defaults_in_templates_apply_when_no_param_is_set_and_give_way_when_one_is()
    {
        var renderer = Renderer();
        var context = Context(Load("rocky-kickstart"));
        Assert.Contains(" inst.repo=https://download.rockylinux.org/pub/rocky/9/BaseOS/x86_64/os/ ", renderer.RenderKernelCommandLine(context));
        var kickstart = renderer.RenderMachineFile(context, $"machines/{context.Machine.Uuid}/kickstart.cfg")!.Contents;
        Assert.Contains("\ntimezone Etc/UTC --utc\n", kickstart);
        context.Machine.Params["timezone"] = "Europe/Berlin";
        context.Machine.Revision++;
        var changed = Samples.Context(context.Machine, context.BootEnv);
        Assert.Contains("\ntimezone Europe/Berlin --utc\n", renderer.RenderMachineFile(changed, $"machines/{context.Machine.Uuid}/kickstart.cfg")!.Contents);
    }

    [Fact]
    public void A_bootenv_needing_a_password_fails_clearly_when_no_one_set_it()
    {
        var bootEnv = Load("rocky-kickstart");
        var machine = Samples.Machine();
        var error = Assert.Throws<RenderException>(() => Renderer().RenderMachineFile(Samples.Context(machine, bootEnv), $"machines/{machine.Uuid}/kickstart.cfg"));
        Assert.Equal("password-hash", error.TemplateName);
        Assert.Contains("required param 'root-password'", error.Reason);
    }

    [SkippableFact]
    public async Task Rendered_cloud_init_user_data_and_vendor_data_pass_cloud_init_schema()
    {
        var cloudInit = Prerequisite.RequireCommand("cloud-init");
        var renderer = Renderer();
        var ubuntu = Context(Load("ubuntu-autoinstall"));
        var generic = Context(new BootEnv
        {
            Name = "cloud-image",
            Revision = 1,
            Templates = [new BootTemplate { Name = "user-data", Path = "user-data", Template = "cloud-init-user-data" }],
        });
        var documents = new Dictionary<string, string>
        {
            ["autoinstall user-data"] = renderer.RenderMachineFile(ubuntu, $"machines/{ubuntu.Machine.Uuid}/user-data")!.Contents,
            ["vendor-data"] = renderer.RenderMachineFile(ubuntu, $"machines/{ubuntu.Machine.Uuid}/vendor-data")!.Contents,
            ["generic user-data"] = renderer.RenderMachineFile(generic, "user-data")!.Contents,
        };
        foreach (var (what, contents) in documents)
        {
            var file = Path.GetTempFileName();
            try
            {
                await File.WriteAllTextAsync(file, contents);
                var result = await ProcessRunner.RunAsync(cloudInit, ["schema", "--config-file", file], TimeSpan.FromSeconds(60));
                Assert.True(result.ExitCode == 0, $"{what} failed cloud-init schema:\n{result}\n--- document\n{contents}");
                Assert.Contains("Valid cloud-config", result.Output);
            }
            finally
            {
                File.Delete(file);
            }
        }
    }

    [Fact]
    public void Rendered_network_config_and_meta_data_are_the_yaml_cloud_init_expects()
    {
        // cloud-init 22.4 (Debian 12) cannot schema-check network-config; check its shape with a YAML parser instead.
        var renderer = Renderer();
        var context = Context(Load("ubuntu-autoinstall"));
        var network = Yaml(renderer.RenderMachineFile(context, $"machines/{context.Machine.Uuid}/network-config")!.Contents);
        Assert.Equal(2, network["network"]!["version"]!.GetValue<long>());
        Assert.Equal("52:54:00:12:34:56", network["network"]!["ethernets"]!["boot"]!["match"]!["macaddress"]!.GetValue<string>());
        Assert.True(network["network"]!["ethernets"]!["boot"]!["dhcp4"]!.GetValue<bool>());
        var meta = Yaml(renderer.RenderMachineFile(context, $"machines/{context.Machine.Uuid}/meta-data")!.Contents);
        Assert.Equal(context.Machine.Uuid, meta["instance-id"]!.GetValue<string>());
        Assert.Equal("rack1-node07", meta["local-hostname"]!.GetValue<string>());
    }

    [SkippableTheory]
    [InlineData("fedora-coreos")]
    [InlineData("flatcar")]
    public async Task Rendered_ignition_passes_ignition_validate(string bootEnv)
    {
        var validate = Prerequisite.RequireCommand("ignition-validate");
        var context = Context(Load(bootEnv));
        var ignition = Renderer().RenderMachineFile(context, $"machines/{context.Machine.Uuid}/ignition.json")!;
        Assert.Equal("application/json", ignition.ContentType);
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, ignition.Contents);
            var result = await ProcessRunner.RunAsync(validate, [file], TimeSpan.FromSeconds(60));
            Assert.True(result.ExitCode == 0 && result.Output.Trim().Length == 0, $"ignition-validate:\n{result}\n--- document\n{ignition.Contents}");
        }
        finally
        {
            File.Delete(file);
        }
        var json = JsonNode.Parse(ignition.Contents)!;
        Assert.Equal("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl operator@example.com",
            json["passwd"]!["users"]![0]!["sshAuthorizedKeys"]![0]!.GetValue<string>());
        Assert.Contains("/machines/3f1c8a52-7d0e-4b8e-9c1a-2f6d5e4b3a21/callback?token=tok-3f1c8a52", json["systemd"]!["units"]![0]!["contents"]!.GetValue<string>());
    }

    [Fact]
    public void The_linuxkit_metadata_blob_is_json_with_the_machine_keys()
    {
        var context = Context(Load("linuxkit"));
        var metadata = JsonNode.Parse(Renderer().RenderMachineFile(context, $"machines/{context.Machine.Uuid}/metadata.json")!.Contents)!;
        Assert.StartsWith("ssh-ed25519 ", metadata["ssh"]!["entries"]!["authorized_keys"]!["content"]!.GetValue<string>());
        Assert.EndsWith("/callback?token=tok-3f1c8a52", metadata["rebar"]!["entries"]!["callback_url"]!["content"]!.GetValue<string>());
    }

    private static JsonNode Yaml(string text)
    {
        var yaml = new YamlDotNet.RepresentationModel.YamlStream();
        yaml.Load(new StringReader(text));
        return ContentFolder.ToJson(yaml.Documents[0].RootNode)!;
    }
}
