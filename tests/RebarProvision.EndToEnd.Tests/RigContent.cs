using Microsoft.Extensions.DependencyInjection;
using RebarProvision.Server.Configuration;
using RebarProvision.Server.Hosting;
using Serilog;

namespace RebarProvision.EndToEnd.Tests;

/// <summary>
/// The content the rig's server starts with: the shipped bootenvs and templates, plus a subnet for the rig's bridge,
/// a bootenv for the rig's guest kernel, and the guest machine pointed at it.
/// </summary>
public static class RigContent
{
    /// <summary>The rig bridge's subnet (10.98.0.1/24 is the server), as a samples document.</summary>
    public const string Subnet = """
        subnets:
          - name: rig
            cidr: 10.98.0.0/24
            activeStart: 10.98.0.100
            activeEnd: 10.98.0.200
            leaseTime: 600

        """;

    public static readonly string Samples = Subnet + Guest("52:54:00:12:34:56");

    /// <summary>The bootenv for the rig's guest kernel and the guest machine, with MAC <paramref name="mac"/>, pointed at it.</summary>
    public static string Guest(string mac) => Guests(null, ("rig-vm", mac));

    /// <summary>
    /// The bootenv for the rig's guest kernel and one machine per (name, MAC) pointed at it, in
    /// <paramref name="profile"/> when one is given (the profile is defined too).
    /// </summary>
    public static string Guests(string? profile, params (string Name, string Mac)[] machines) => GuestBootEnv
        + (profile is null ? "" : $"profiles:\n  - name: {profile}\n")
        + "machines:\n"
        + string.Concat(machines.Select(m => $"""
              - name: {m.Name}
                hardwareAddrs: ["{m.Mac}"]
                bootEnv: rig-guest
                profiles: [{profile}]

            """));

    private const string GuestBootEnv = """
        bootenvs:
          - name: rig-guest
            description: The rig's busybox guest; it fetches its cloud-init user-data and posts the installer callback.
            kernel: vmlinuz
            initrds: [initrd.img]
            bootParams: >-
              console=ttyS0 panic=1 quiet
              provision.url={{ env.provisioner_url }}/machines/{{ machine.uuid }}/user-data
              provision.callback={{ env.provisioner_url }}/machines/{{ machine.uuid }}/callback?token={{ token }}
              provision.fallback={{ env.node_urls | array.join "," }}
            templates:
              - name: user-data
                path: machines/{{ machine.uuid }}/user-data
                contents: |
                  #cloud-config
                  hostname: {{ machine.name }}

        """;

    /// <summary>
    /// Where the guest from rig/build-guest.sh is built and kept: keyed by the script's hash, so a changed script
    /// builds anew instead of reusing a guest from before the change.
    /// </summary>
    public static string GuestDir()
    {
        var script = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "rig", "build-guest.sh"));
        return Path.Combine(Path.GetTempPath(), "rebar-pxe-guest-" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(script))[..12].ToLowerInvariant());
    }

    /// <summary>The guest's kernel and initrd, as <see cref="Write(string, string, IReadOnlyDictionary{string, string})"/> places them.</summary>
    public static Dictionary<string, string> GuestFiles(string guestDir) => new()
    {
        ["bootenvs/rig-guest/vmlinuz"] = Path.Combine(guestDir, "vmlinuz"),
        ["bootenvs/rig-guest/initrd.img"] = Path.Combine(guestDir, "initrd.img"),
    };

    /// <summary>Writes the content folder and places the guest's kernel and initrd under the bootenv's files.</summary>
    public static string Write(string guestDir, string dataDir) => Write(dataDir, Samples, GuestFiles(guestDir));

    /// <summary>
    /// Writes a content folder of the shipped bootenvs and templates plus <paramref name="samples"/>, and copies
    /// <paramref name="files"/> (path under the data directory's <c>files/</c> → source file) into place.
    /// </summary>
    public static string Write(string dataDir, string samples, IReadOnlyDictionary<string, string> files)
    {
        var shipped = Path.Combine(AppContext.BaseDirectory, "content");
        var content = Directory.CreateTempSubdirectory("rebar-e2e-content-").FullName;
        foreach (var folder in new[] { "bootenvs", "templates" })
        {
            CopyDirectory(Path.Combine(shipped, folder), Path.Combine(content, folder));
        }
        Directory.CreateDirectory(Path.Combine(content, "samples"));
        File.WriteAllText(Path.Combine(content, "samples", "rig.yaml"), samples);
        foreach (var (path, source) in files)
        {
            var target = Path.Combine(dataDir, "files", path);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(source, target, overwrite: true);
        }
        return content;
    }

    /// <summary>
    /// Starts the server again on the boot's data directory (loopback only) and asks its boot files what iPXE would
    /// get now (in process: the boot port answers the script only to the guest's lease address, not to loopback).
    /// </summary>
    public static async Task<string> NextBootScriptAsync(string dataDir, string content, string mac)
    {
        var options = ServerConfiguration.Load(
            ["--data-dir", dataDir, "--content", content, "--api-tls", "false", "--tftp-port", "0", "--listen", "127.0.0.1",
             "--http-port", FreeTcpPort().ToString(), "--api-port", FreeTcpPort().ToString(), "--admin-password", "e2e-admin-password"],
            new Dictionary<string, string?>());
        using var logger = new LoggerConfiguration().MinimumLevel.Warning().WriteTo.Console().CreateLogger();
        await using var app = await ServerHost.BuildAsync(options, logger);
        await app.StartAsync();
        var files = app.Services.GetRequiredService<RebarProvision.Server.Boot.BootFiles>();
        var answer = await files.BootScriptAsync(mac, RebarProvision.Rendering.BootLoader.Ipxe, System.Net.IPAddress.Loopback, recordBoot: false, CancellationToken.None);
        var script = Assert.IsType<RebarProvision.Server.Boot.BootFile.Rendered>(answer).File.Contents;
        await app.StopAsync();
        return script;
    }

    private static int FreeTcpPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }
}
