using System.Text.Json.Nodes;
using RebarProvision.Model;
using RebarProvision.Rendering;

namespace RebarProvision.Rendering.Tests;

public sealed class BootRendererTests
{
    private static BootEnv Installer() => new()
    {
        Name = "installer",
        Revision = 5,
        Kernel = "linux",
        Initrds = ["initrd.gz", "https://mirror.example.com/extra/firmware.cpio.gz"],
        BootParams = "auto=true url={{ env.provisioner_url }}/machines/{{ machine.uuid }}/preseed.cfg console={{ params.console ?? 'ttyS0' }}",
        Templates =
        [
            new BootTemplate { Name = "preseed", Path = "machines/{{ machine.uuid }}/preseed.cfg", Contents = "d-i netcfg/get_hostname string {{ machine.name }}\n" },
            new BootTemplate { Name = "meta-data", Path = "machines/{{ machine.uuid }}/meta-data", Template = "shared-meta-data" },
        ],
    };

    private static (BootRenderer Renderer, InMemoryTemplates Templates) Renderer()
    {
        var templates = ContentFolder.LoadTemplates();
        templates.Add("shared-meta-data", "instance-id: {{ machine.uuid }}\nlocal-hostname: {{ machine.name }}\n");
        return (new BootRenderer(new TemplateSandbox(templates, m => "tok", RenderLimits.Default)), templates);
    }

    [Fact]
    public void The_default_ipxe_script_loads_kernel_and_initrds_from_the_answering_node_naming_each_initrd()
    {
        var file = Renderer().Renderer.RenderBootScript(Samples.Context(bootEnv: Installer()), BootLoader.Ipxe);
        Assert.Equal(
            """
            #!ipxe
            # installer for rack1-node07 (52:54:00:12:34:56)
            kernel http://10.20.0.1:8091/files/bootenvs/installer/linux initrd=initrd.gz initrd=firmware.cpio.gz auto=true url=http://10.20.0.1:8091/machines/3f1c8a52-7d0e-4b8e-9c1a-2f6d5e4b3a21/preseed.cfg console=ttyS0
            initrd --name initrd.gz http://10.20.0.1:8091/files/bootenvs/installer/initrd.gz
            initrd --name firmware.cpio.gz https://mirror.example.com/extra/firmware.cpio.gz
            boot

            """.ReplaceLineEndings("\n"),
            file.Contents);
        Assert.Equal("boot/52:54:00:12:34:56.ipxe", file.Path);
        Assert.Equal("default-ipxe", file.TemplateName);
    }

    [Fact]
    public void With_several_live_nodes_the_default_ipxe_script_tries_each_in_turn_for_kernel_initrds_and_per_machine_urls()
    {
        var context = Samples.Context(bootEnv: Installer()) with
        {
            Environment = Samples.Env with { NodeUrls = ["http://10.20.0.1:8091", "http://10.20.0.2:8091"] },
        };
        var file = Renderer().Renderer.RenderBootScript(context, BootLoader.Ipxe);
        Assert.Equal(
            """
            #!ipxe
            # installer for rack1-node07 (52:54:00:12:34:56)
            :node0
            kernel http://10.20.0.1:8091/files/bootenvs/installer/linux initrd=initrd.gz initrd=firmware.cpio.gz auto=true url=http://10.20.0.1:8091/machines/3f1c8a52-7d0e-4b8e-9c1a-2f6d5e4b3a21/preseed.cfg console=ttyS0 || goto node1
            initrd --name initrd.gz http://10.20.0.1:8091/files/bootenvs/installer/initrd.gz || goto node1
            initrd --name firmware.cpio.gz https://mirror.example.com/extra/firmware.cpio.gz || goto node1
            boot || goto node1
            :node1
            kernel http://10.20.0.2:8091/files/bootenvs/installer/linux initrd=initrd.gz initrd=firmware.cpio.gz auto=true url=http://10.20.0.2:8091/machines/3f1c8a52-7d0e-4b8e-9c1a-2f6d5e4b3a21/preseed.cfg console=ttyS0 || goto node2
            initrd --name initrd.gz http://10.20.0.2:8091/files/bootenvs/installer/initrd.gz || goto node2
            initrd --name firmware.cpio.gz https://mirror.example.com/extra/firmware.cpio.gz || goto node2
            boot || goto node2
            :node2
            echo no node could boot rack1-node07
            exit 1

            """.ReplaceLineEndings("\n"),
            file.Contents);
    }

    [Fact]
    public void The_default_pxelinux_and_grub_configs_carry_the_same_kernel_line()
    {
        var (renderer, _) = Renderer();
        var context = Samples.Context(bootEnv: Installer());
        var pxelinux = renderer.RenderBootScript(context, BootLoader.Pxelinux, "52:54:00:12:34:57");
        Assert.Equal("pxelinux.cfg/01-52-54-00-12-34-57", pxelinux.Path);
        Assert.Contains("\n  KERNEL http://10.20.0.1:8091/files/bootenvs/installer/linux\n", pxelinux.Contents);
        Assert.Contains("\n  INITRD http://10.20.0.1:8091/files/bootenvs/installer/initrd.gz,https://mirror.example.com/extra/firmware.cpio.gz\n", pxelinux.Contents);
        Assert.Contains("\n  APPEND auto=true url=http://10.20.0.1:8091/machines/3f1c8a52-7d0e-4b8e-9c1a-2f6d5e4b3a21/preseed.cfg console=ttyS0\n", pxelinux.Contents);
        var grub = renderer.RenderBootScript(context, BootLoader.Grub);
        Assert.Equal("grub.cfg-01-52-54-00-12-34-56", grub.Path);
        Assert.Contains("\n  linux (http,10.20.0.1:8091)/files/bootenvs/installer/linux auto=true ", grub.Contents);
        Assert.Contains("\n  initrd (http,10.20.0.1:8091)/files/bootenvs/installer/initrd.gz (https,mirror.example.com:443)/extra/firmware.cpio.gz\n", grub.Contents);
    }

    [Fact]
    public void A_bootenv_template_named_after_the_loader_replaces_the_default()
    {
        var bootEnv = Installer();
        bootEnv.Templates.Add(new BootTemplate { Name = "ipxe", Path = "machines/{{ machine.uuid }}/boot.ipxe", Contents = "#!ipxe\nexit\n" });
        var file = Renderer().Renderer.RenderBootScript(Samples.Context(bootEnv: bootEnv), BootLoader.Ipxe);
        Assert.Equal("#!ipxe\nexit\n", file.Contents);
        Assert.Equal("bootenvs/installer/ipxe", file.TemplateName);
    }

    [Fact]
    public void A_machine_file_is_found_by_its_rendered_path_with_inline_or_named_templates()
    {
        var (renderer, _) = Renderer();
        var context = Samples.Context(bootEnv: Installer());
        var preseed = renderer.RenderMachineFile(context, "/machines/3f1c8a52-7d0e-4b8e-9c1a-2f6d5e4b3a21/preseed.cfg");
        Assert.NotNull(preseed);
        Assert.Equal("d-i netcfg/get_hostname string rack1-node07\n", preseed.Contents);
        var metaData = renderer.RenderMachineFile(context, "machines/3f1c8a52-7d0e-4b8e-9c1a-2f6d5e4b3a21/meta-data");
        Assert.Equal("instance-id: 3f1c8a52-7d0e-4b8e-9c1a-2f6d5e4b3a21\nlocal-hostname: rack1-node07\n", metaData?.Contents);
        Assert.Equal("shared-meta-data", metaData?.TemplateName);
        Assert.Null(renderer.RenderMachineFile(context, "machines/00000000-0000-0000-0000-000000000000/preseed.cfg"));
    }

    [Fact]
    public void Cached_output_changes_when_the_machine_or_an_included_template_changes()
    {
        var (renderer, templates) = Renderer();
        var machine = Samples.Machine();
        var path = $"machines/{machine.Uuid}/meta-data";
        Assert.Contains("rack1-node07", renderer.RenderMachineFile(Samples.Context(machine, Installer()), path)!.Contents);

        machine.Name = "rack1-node08";
        Assert.Contains("rack1-node07", renderer.RenderMachineFile(Samples.Context(machine, Installer()), path)!.Contents);
        machine.Revision++;
        Assert.Contains("rack1-node08", renderer.RenderMachineFile(Samples.Context(machine, Installer()), path)!.Contents);

        templates.Add("shared-meta-data", "changed {{ machine.name }}");
        Assert.Equal("changed rack1-node08", renderer.RenderMachineFile(Samples.Context(machine, Installer()), path)!.Contents);
    }

    [Fact]
    public void Unstored_machines_are_rendered_fresh_every_time()
    {
        var (renderer, _) = Renderer();
        var machine = Samples.Machine();
        machine.Revision = 0;
        var first = renderer.RenderKernelCommandLine(Samples.Context(machine, Installer()));
        machine.Uuid = "00000000-0000-0000-0000-000000000001";
        Assert.NotEqual(first, renderer.RenderKernelCommandLine(Samples.Context(machine, Installer())));
    }

    [Fact]
    public void Param_precedence_through_a_template_is_machine_then_profiles_in_order_then_global_then_default()
    {
        var machine = Samples.Machine();
        machine.Profiles = ["rack", "site"];
        var profiles = new Dictionary<string, Profile>
        {
            ["rack"] = new() { Name = "rack", Params = new() { ["a"] = "rack", ["b"] = "rack" } },
            ["site"] = new() { Name = "site", Params = new() { ["a"] = "site", ["b"] = "site", ["c"] = "site" } },
            ["global"] = new() { Name = "global", Params = new() { ["a"] = "global", ["b"] = "global", ["c"] = "global", ["d"] = "global" } },
        };
        machine.Params["a"] = "machine";
        var declared = new[] { "a", "b", "c", "d", "e" }.Select(n => new Param { Name = n, Schema = new ParamSchema { Default = JsonValue.Create("default") } });
        var resolved = ParamResolver.Resolve(machine, profiles.GetValueOrDefault, declared);
        var bootEnv = Installer();
        bootEnv.Templates.Add(new BootTemplate { Name = "show", Path = "show", Contents = "{{ for n in ['a','b','c','d','e'] }}{{ n }}={{ param n }} {{ end }}{{ params.a }}" });
        var file = Renderer().Renderer.RenderMachineFile(Samples.Context(machine, bootEnv, resolved), "show");
        Assert.Equal("a=machine b=rack c=site d=global e=default machine", file?.Contents);
    }

    [Fact]
    public void A_failing_bootenv_template_names_the_bootenv_and_template()
    {
        var bootEnv = Installer();
        bootEnv.Templates[0].Contents = "ok\n{{ for }}";
        var error = Assert.Throws<RenderException>(() => Renderer().Renderer.RenderMachineFile(Samples.Context(bootEnv: bootEnv), $"machines/{Samples.Machine().Uuid}/preseed.cfg"));
        Assert.Equal("bootenvs/installer/preseed", error.TemplateName);
        Assert.Equal(2, error.Line);
    }

    [Fact]
    public void Concurrent_renders_for_many_machines_each_get_their_own_output_and_a_failure_does_not_stop_the_rest()
    {
        var (renderer, _) = Renderer();
        var broken = Installer();
        broken.Name = "broken";
        broken.BootParams = "{{ while true }}{{ end }}";
        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var machine = Samples.Machine();
            machine.Uuid = new Guid(i, 0, 0, new byte[8]).ToString();
            machine.Name = $"node{i}";
            if (i % 10 == 0)
            {
                Assert.Throws<RenderException>(() => renderer.RenderBootScript(Samples.Context(machine, broken), BootLoader.Ipxe));
                return;
            }
            var file = renderer.RenderMachineFile(Samples.Context(machine, Installer()), $"machines/{machine.Uuid}/meta-data");
            Assert.Equal($"instance-id: {machine.Uuid}\nlocal-hostname: node{i}\n", file?.Contents);
        });
    }

    [Fact]
    public async Task Concurrent_requests_for_one_uncached_file_render_it_once_and_share_the_result()
    {
        var issued = 0;
        using var everyoneAsked = new CountdownEvent(16);
        var sandbox = new TemplateSandbox(ContentFolder.LoadTemplates(), machine =>
        {
            Interlocked.Increment(ref issued);
            // Hold the first render until every caller has asked (and a moment more for them to reach the cache).
            everyoneAsked.Wait(TimeSpan.FromSeconds(30));
            Thread.Sleep(300);
            return "tok";
        }, RenderLimits.Default);
        var renderer = new BootRenderer(sandbox);
        var bootEnv = Installer();
        bootEnv.Templates[0].Contents = "token {{ token }}\n";
        var context = Samples.Context(bootEnv: bootEnv);
        var path = $"machines/{context.Machine.Uuid}/preseed.cfg";

        var files = Enumerable.Range(0, 16).Select(_ => Task.Factory.StartNew(() =>
        {
            everyoneAsked.Signal();
            return renderer.RenderMachineFile(context, path);
        }, TaskCreationOptions.LongRunning)).ToArray();
        var rendered = await Task.WhenAll(files).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.All(rendered, f => Assert.Equal("token tok\n", f?.Contents));
        Assert.Equal(1, issued);
    }
}
