using RebarProvision.Model;
using RebarProvision.Store;
using RebarProvision.Testing;

namespace RebarProvision.EndToEnd.Tests;

/// <summary>
/// Real PXE boots in qemu (no KVM needed) against our server alone, inside a private namespace: the VM's firmware
/// asks our DHCP, loads iPXE (from its ROM, or over our TFTP), fetches its script, kernel and initrd over our HTTP,
/// reads its rendered cloud-init and posts the installer callback. Afterwards the database must show a bound lease,
/// the machine installed, and the next boot answer must be the local disk.
/// </summary>
[Collection(QemuCollection.Name)]
public sealed class PxeBootTests
{
    private const string GuestMac = "52:54:00:12:34:56";
    private static readonly SemaphoreSlim OneVmAtATime = new(1, 1);

    [SkippableTheory]
    [InlineData("bios", "e1000")]
    [InlineData("uefi", "e1000")]
    [InlineData("uefi", "virtio")]
    public async Task A_VM_boots_from_our_server_alone_reports_installed_and_next_boots_local(string firmware, string nic)
    {
        Prerequisite.RequireRoot();
        Prerequisite.RequireCommand("qemu-system-x86_64");
        Prerequisite.Require(File.Exists("/usr/lib/ipxe/ipxe.efi"), "needs Debian's ipxe package (the loaders we serve)");
        if (firmware == "uefi")
        {
            Prerequisite.Require(File.Exists("/usr/share/OVMF/OVMF_CODE_4M.fd"), "needs Debian's ovmf package");
        }
        await OneVmAtATime.WaitAsync();
        try
        {
            await BootAsync(firmware, nic);
        }
        finally
        {
            OneVmAtATime.Release();
        }
    }

    private static async Task BootAsync(string firmware, string nic)
    {
        var rig = Path.Combine(AppContext.BaseDirectory, "rig");
        var guest = RigContent.GuestDir();
        var built = await ProcessRunner.RunAsync(Path.Combine(rig, "build-guest.sh"), [guest], TimeSpan.FromMinutes(10));
        Assert.True(built.ExitCode == 0, "building the guest failed: " + built);

        var data = Directory.CreateTempSubdirectory("rebar-e2e-data-").FullName;
        var content = RigContent.Write(guest, data);
        var log = Path.Combine(data, "serial.log");
        var environment = new Dictionary<string, string>
        {
            ["E2E_DLL"] = Path.Combine(AppContext.BaseDirectory, "rebar-provision.dll"),
            ["E2E_DATA"] = data,
            ["E2E_CONTENT"] = content,
            ["RIG_GUEST_DIR"] = guest,
            ["RIG_SERVER_WARMUP"] = "6",
        };
        var boot = await ProcessRunner.RunAsync(
            Path.Combine(rig, "pxe-boot.sh"),
            ["--firmware", firmware, "--nic", nic, "--mac", GuestMac, "--timeout", "420", "--expect", "CALLBACK-OK", "--log", log, "--", Path.Combine(rig, "run-server.sh")],
            TimeSpan.FromMinutes(9),
            environment: environment);
        Console.WriteLine($"{firmware}/{nic}: {boot.StandardOutput.Split('\n').FirstOrDefault(l => l.StartsWith("pxe-boot:", StringComparison.Ordinal))}");
        Assert.True(boot.ExitCode == 0, $"{firmware}/{nic} boot failed:\n{boot}");
        if (nic == "virtio")
        {
            // No iPXE ROM for virtio here: OVMF's own PXE must have fetched the loader we named, over our TFTP.
            var serial = File.ReadAllText(log);
            Assert.Contains("NBP filename is ipxe.efi", serial);
            Assert.Contains("NBP file downloaded successfully", serial);
        }

        // The server has stopped; its database says what happened. (Closed again before the next server opens it:
        // a data directory serves one process at a time.)
        await using (var store = new SqliteStore(data))
        {
            var machine = await store.Objects.FindMachineByMacAsync(GuestMac);
            Assert.NotNull(machine);
            Assert.Equal([GuestMac], machine.HardwareAddrs);
            Assert.Equal(MachineState.Installed, machine.State);
            Assert.Equal("local", machine.BootEnv);
            var lease = await store.Leases.FindByTokenAsync(GuestMac);
            Assert.NotNull(lease);
            Assert.Equal(LeaseState.Bound, lease.State);
            Assert.StartsWith("10.98.0.", lease.Addr, StringComparison.Ordinal);
        }

        // The next boot answer: what iPXE gets for this MAC now.
        var next = await RigContent.NextBootScriptAsync(data, content, GuestMac);
        Assert.Contains("local disk", next);
        Assert.Contains("sanboot", next);
        // Only a passing boot cleans up: a failed one keeps its serial log and database to look at.
        Directory.Delete(data, recursive: true);
    }
}
