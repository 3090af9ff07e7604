// Renders per second of an iPXE script and a cloud-init user-data, cached and uncached, on one thread and on all
// cores, per wall-clock second and per CPU-second. Usage: dotnet run -c Release --project tests/perf/render [seconds-per-case]
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using RebarProvision.Model;
using RebarProvision.Rendering;

var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 2;
var root = FindRoot();
var templates = new FolderTemplates(Path.Combine(root, "templates"));
var bootEnv = new BootEnv
{
    Name = "perf",
    Revision = 1,
    Kernel = "linux",
    Initrds = ["initrd.gz"],
    BootParams = "auto=true priority=critical url={{ env.provisioner_url }}/machines/{{ machine.uuid }}/preseed.cfg hostname={{ (param \"hostname\") ?? machine.name }} console=ttyS0",
    Templates = [new BootTemplate { Name = "user-data", Path = "machines/{{ machine.uuid }}/user-data", Template = "cloud-init-user-data" }],
};
const int Machines = 1000;
var contexts = Enumerable.Range(0, Machines).Select(i =>
{
    var machine = new Machine
    {
        Uuid = new Guid(i, 0, 0, new byte[8]).ToString(),
        Name = $"node{i:0000}",
        HardwareAddrs = [$"52:54:00:00:{i / 256:x2}:{i % 256:x2}"],
        Revision = 1,
        Params = new(StringComparer.Ordinal)
        {
            ["root-password"] = "$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/",
            ["ssh-authorized-keys"] = new JsonArray("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl op@example.com"),
        },
    };
    return new MachineRenderContext(machine, bootEnv, machine.Params, RenderEnvironment.ForNode("10.0.0.1", 8091, 8092))
    {
        ParamsStamp = "1",
    };
}).ToArray();

Console.WriteLine($"{Environment.ProcessorCount} cores, {Machines} machines, {seconds:0.#} s per case");
foreach (var cached in new[] { false, true })
{
    var renderer = new BootRenderer(new TemplateSandbox(templates, m => "token-" + m.Uuid, RenderLimits.Default), cached ? 20_000 : 0);
    Measure(cached, "iPXE script", i => renderer.RenderBootScript(contexts[i % Machines], BootLoader.Ipxe));
    Measure(cached, "cloud-init user-data", i => renderer.RenderMachineFile(contexts[i % Machines], $"machines/{contexts[i % Machines].Machine.Uuid}/user-data"));
}

void Measure(bool cached, string what, Action<int> render)
{
    // Warm up for a second: tiered JIT, the parse cache and (when on) the render cache.
    var warmUp = Stopwatch.StartNew();
    for (var i = 0; warmUp.Elapsed < TimeSpan.FromSeconds(1) || i < Machines; i++)
    {
        render(i);
    }
    foreach (var threads in new[] { 1, Environment.ProcessorCount })
    {
        long count = 0;
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var deadline = TimeSpan.FromSeconds(seconds);
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            var i = t * 7919;
            while (clock.Elapsed < deadline)
            {
                for (var n = 0; n < 64; n++)
                {
                    render(i++);
                }
                Interlocked.Add(ref count, 64);
            }
        });
        var wall = clock.Elapsed.TotalSeconds;
        process.Refresh();
        // Per CPU-second as well: the wall-clock rate depends on whatever else the shared machine is running.
        var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
        Console.WriteLine($"{what,-22} {(cached ? "cached" : "uncached"),-9} {threads} thread(s): {count / wall,12:N0} renders/s wall, {count / cpu,12:N0} renders per CPU-second");
    }
}

static string FindRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (Directory.Exists(Path.Combine(dir.FullName, "templates")) && Directory.Exists(Path.Combine(dir.FullName, "bootenvs")))
        {
            return dir.FullName;
        }
    }
    throw new DirectoryNotFoundException("no templates/ above the binaries");
}

sealed class FolderTemplates(string folder) : ITemplateSource
{
    private readonly Dictionary<string, Template> _templates = Directory.GetFiles(folder, "*.tmpl")
        .ToDictionary(f => Path.GetFileNameWithoutExtension(f), f => new Template { Name = Path.GetFileNameWithoutExtension(f), Contents = File.ReadAllText(f) }, StringComparer.Ordinal);

    public long Revision => 1;

    public Template? Find(string name) => _templates.GetValueOrDefault(name);
}
