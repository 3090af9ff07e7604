using System.Globalization;
using System.Text.RegularExpressions;
using RebarProvision.Model;
using RebarProvision.Store;
using RebarProvision.Testing;
using Xunit.Abstractions;

namespace RebarProvision.EndToEnd.Tests;

/// <summary>
/// A real Debian with real cloud-init, booted by qemu from our server alone inside the rig's namespace: in memory
/// (live-cloudinit) and written to an empty disk (image-deploy). cloud-init consumes the files we render and reports
/// its own result; the test then logs in over SSH from the namespace with the key from the machine's params.
/// </summary>
[Collection(QemuCollection.Name)]
public sealed class CloudInitOsTests(ITestOutputHelper output)
{
    private const string GuestMac = "52:54:00:12:34:56";
    private const string Fail = "Kernel panic|REBAR-CALLBACK-FAILED|REBAR-INSTALL FAILED";

    /// <summary>
    /// One boot's limit. Measured under TCG on the shared 2-core machine at load 14-18: the live boot to its callback
    /// 204 s, the installer boot 315-369 s, the boot from disk 133-146 s; the limit leaves room for more load without
    /// letting a stuck boot eat CI's budget.
    /// </summary>
    private static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(10);

    [SkippableFact]
    public async Task A_VM_boots_the_live_image_in_memory_under_uefi_and_cloud_init_applies_our_config_reachable_by_its_key_only()
    {
        RequireRig("uefi");
        var image = await TestImage.BuildAsync();
        var data = Directory.CreateTempSubdirectory("rebar-e2e-live-").FullName;
        var keys = await KeysAsync(data);
        var content = RigContent.Write(data, Samples("live-vm", "live-cloudinit", keys.Public, "next-bootenv: live-cloudinit"), image.LiveFiles("live-cloudinit"));

        var boot = await BootAsync(data, content, "uefi", "REBAR-CALLBACK-OK", keys, disk: null);

        var seen = SshChecks.Read(boot.Output);
        Assert.Equal("live-vm", seen.Hostname);
        Assert.Contains("status: done", seen.Status);
        Assert.Contains("written by cloud-init for live-vm", seen.Status);
        Assert.Contains("link/ether " + GuestMac, seen.Status);
        Assert.Contains("10-cloud-init-eth0.network", seen.Status);
        Assert.Contains("root=overlay", seen.Status);
        seen.AssertWrongKeyRefused();
        await AssertCloudInitReportedDoneAsync(data, "live-cloudinit");
        Directory.Delete(data, recursive: true);
        Directory.Delete(content, recursive: true);
    }

    [SkippableTheory]
    [InlineData("uefi")]
    [InlineData("bios")]
    public async Task An_image_streamed_to_an_empty_disk_matches_what_we_served_boots_by_itself_and_runs_cloud_init_again(string firmware)
    {
        RequireRig(firmware);
        var image = await TestImage.BuildAsync();
        var data = Directory.CreateTempSubdirectory("rebar-e2e-image-").FullName;
        var keys = await KeysAsync(data);
        var served = await ShellAsync($"zstd -dc '{image.CompressedDisk}' | sha256sum | cut -d' ' -f1");
        Assert.Equal(image.DiskSha256, served);
        var files = image.LiveFiles("image-deploy");
        files["bootenvs/image-deploy/disk.img.zst"] = image.CompressedDisk;
        var content = RigContent.Write(data, Samples("disk-vm", "image-deploy", keys.Public, $"image-sha256: \"{served}\""), files);
        var disk = Path.Combine(data, "disk.raw");
        await using (var empty = File.Create(disk))
        {
            empty.SetLength(3L << 30);
        }

        // First boot: the installer writes the image and its seed, calls back, and reboots (qemu stops there).
        await BootAsync(data, content, firmware, "REBAR-INSTALL DONE", keys: null, disk);
        long imageBytes;
        await using (var store = new SqliteStore(data))
        {
            var machine = await store.Objects.FindMachineByMacAsync(GuestMac);
            Assert.NotNull(machine);
            Assert.Equal(MachineState.Installed, machine.State);
            Assert.Equal("local", machine.BootEnv);
            Assert.Contains($"sha256 {served} verified while writing and read back", machine.StateMessage);
            imageBytes = long.Parse(machine.StateMessage!.Split(" wrote ")[1].Split(' ')[0]);
            output.WriteLine($"{firmware}: {machine.StateMessage}");
        }
        // The disk's partitions region is the image's byte for byte (the GPT headers at both ends changed when the
        // installer appended its cidata partition).
        var mib = imageBytes / (1 << 20);
        var onDisk = await ShellAsync($"dd if='{disk}' bs=1M skip=1 count={mib - 2} status=none | sha256sum | cut -d' ' -f1");
        // dd stops reading after its count, so zstd ends on a broken pipe: expected here (the whole stream's sha256
        // was checked above).
        var inImage = await ShellAsync($"(zstd -dc '{image.CompressedDisk}' 2>/dev/null || true) | dd bs=1M skip=1 count={mib - 2} iflag=fullblock status=none | sha256sum | cut -d' ' -f1");
        Assert.Equal(inImage, onDisk);

        // Second boot from the disk, cloud-init from the seed calling back. Under BIOS the network boots first and iPXE's
        // "local" answer (sanboot) starts the disk; under UEFI OVMF tries the disk first (see rig/pxe-boot.sh), and the
        // "local" answer is checked below.
        var boot = await BootAsync(data, content, firmware, "REBAR-CALLBACK-OK", keys, disk);
        var seen = SshChecks.Read(boot.Output);
        Assert.Equal("disk-vm", seen.Hostname);
        Assert.Contains("status: done", seen.Status);
        Assert.Contains("written by cloud-init for disk-vm", seen.Status);
        Assert.Contains("root=/dev/vda3", seen.Status);
        seen.AssertWrongKeyRefused();
        await AssertCloudInitReportedDoneAsync(data, "local");
        var next = await RigContent.NextBootScriptAsync(data, content, GuestMac);
        Assert.Contains("sanboot", next);
        Directory.Delete(data, recursive: true);
        Directory.Delete(content, recursive: true);
    }

    /// <summary>The server has stopped; its database holds the callback cloud-init itself posted.</summary>
    private static async Task AssertCloudInitReportedDoneAsync(string data, string bootEnv)
    {
        await using var store = new SqliteStore(data);
        var machine = await store.Objects.FindMachineByMacAsync(GuestMac);
        Assert.NotNull(machine);
        Assert.Equal(MachineState.Installed, machine.State);
        Assert.StartsWith("cloud-init done", machine.StateMessage);
        Assert.Equal(bootEnv, machine.BootEnv);
    }

    private static void RequireRig(string firmware)
    {
        Prerequisite.RequireRoot();
        Prerequisite.RequireCommand("qemu-system-x86_64");
        Prerequisite.RequireCommand("mmdebstrap");
        Prerequisite.RequireCommand("ssh");
        Prerequisite.Require(File.Exists("/usr/lib/ipxe/ipxe.efi"), "needs Debian's ipxe package (the loaders we serve)");
        if (firmware == "uefi")
        {
            Prerequisite.Require(File.Exists("/usr/share/OVMF/OVMF_CODE_4M.fd"), "needs Debian's ovmf package");
        }
    }

    private static string Samples(string name, string bootEnv, string publicKey, string extraParam) => RigContent.Subnet + $$"""
        machines:
          - name: {{name}}
            hardwareAddrs: ["{{GuestMac}}"]
            bootEnv: {{bootEnv}}
            params:
              ssh-authorized-keys: ["{{publicKey}}"]
              write-files:
                - path: /etc/rebar-e2e
                  content: "written by cloud-init for {{name}}\n"
              {{extraParam}}
        """;

    private static async Task<SshKeys> KeysAsync(string data)
    {
        var keys = new SshKeys(Path.Combine(data, "admin-key"), Path.Combine(data, "wrong-key"));
        foreach (var key in new[] { keys.Admin, keys.Wrong })
        {
            var made = await ProcessRunner.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key], TimeSpan.FromSeconds(30));
            Assert.True(made.ExitCode == 0, made.ToString());
        }
        return keys;
    }

    /// <summary>One boot in the rig; with keys, the SSH checks run from the namespace once the guest called back.</summary>
    private async Task<ProcessRunner.Result> BootAsync(string data, string content, string firmware, string expect, SshKeys? keys, string? disk)
    {
        var rig = Path.Combine(AppContext.BaseDirectory, "rig");
        var log = Path.Combine(data, $"serial-{DateTime.UtcNow:HHmmss}.log");
        var arguments = new List<string>
        {
            // Two vCPUs: TCG runs one host thread each, and systemd and cloud-init start services in parallel.
            "--firmware", firmware, "--nic", "e1000", "--mac", GuestMac, "--memory", "1536", "--smp", "2", "--cpu", "max",
            "--timeout", BootTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture), "--expect", expect, "--fail", Fail, "--log", log,
        };
        if (disk is not null)
        {
            arguments.AddRange(["--disk", disk]);
        }
        if (keys is not null)
        {
            arguments.AddRange(["--after", $"{Path.Combine(rig, "ssh-checks.sh")} {keys.Admin} {keys.Wrong}"]);
        }
        arguments.AddRange(["--", Path.Combine(rig, "run-server.sh")]);
        var environment = new Dictionary<string, string>
        {
            ["E2E_DLL"] = Path.Combine(AppContext.BaseDirectory, "rebar-provision.dll"),
            ["E2E_DATA"] = data,
            ["E2E_CONTENT"] = content,
            ["RIG_SERVER_WARMUP"] = "6",
        };
        var boot = await ProcessRunner.RunAsync(Path.Combine(rig, "pxe-boot.sh"), arguments, BootTimeout + TimeSpan.FromMinutes(3), environment: environment);
        output.WriteLine($"{firmware} until {expect}: {boot.StandardOutput.Split('\n').FirstOrDefault(l => l.StartsWith("pxe-boot:", StringComparison.Ordinal))}");
        var seen = boot.StandardOutput.IndexOf("== address", StringComparison.Ordinal);
        if (seen >= 0)
        {
            output.WriteLine(boot.StandardOutput[seen..]);
        }
        Assert.True(boot.ExitCode == 0, $"{firmware} boot until {expect} failed:\n{boot}\n--- serial log {log} (last 120 lines)\n{SerialTail(log, 120)}");
        return boot;
    }

    /// <summary>The end of a serial log without its terminal escapes, to say where a boot stopped.</summary>
    private static string SerialTail(string log, int lines)
    {
        if (!File.Exists(log))
        {
            return "(no serial log)";
        }
        var text = Regex.Replace(File.ReadAllText(log), @"\x1b\[[0-9;=?]*[A-Za-z]|\r", "");
        return string.Join('\n', text.Split('\n').Where(l => l.Trim().Length > 0).TakeLast(lines));
    }

    private static async Task<string> ShellAsync(string command)
    {
        var result = await ProcessRunner.RunAsync("bash", ["-c", "set -o pipefail; " + command], TimeSpan.FromMinutes(5));
        Assert.True(result.ExitCode == 0, $"{command}:\n{result}");
        return result.StandardOutput.Trim();
    }
}
