using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RebarProvision.Dhcp;
using RebarProvision.Testing;
using RebarProvision.Testing.Ha;
using Xunit.Abstractions;

namespace RebarProvision.EndToEnd.Tests.Ha;

/// <summary>
/// Issue 17's mid-boot death: a real VM (qemu, UEFI, the e1000's iPXE ROM) PXE-boots on the HA segment from node A;
/// A is SIGKILLed as soon as the VM has its iPXE script; the script's fallback to the next live node must carry the
/// boot (kernel, initrd, the guest's per-machine file and its installer callback) through node B.
/// </summary>
[Collection(QemuCollection.Name)]
public sealed partial class MidBootDeathTests(ITestOutputHelper output)
{
    [SkippableFact]
    public async Task A_VM_whose_node_dies_right_after_its_ipxe_script_finishes_the_boot_through_the_other_node()
    {
        Prerequisite.RequireRoot();
        Prerequisite.RequireCommand("qemu-system-x86_64");
        Prerequisite.Require(File.Exists("/usr/share/OVMF/OVMF_CODE_4M.fd"), "needs Debian's ovmf package");
        var rigScripts = Path.Combine(AppContext.BaseDirectory, "rig");
        var guest = RigContent.GuestDir();
        var built = await ProcessRunner.RunAsync(Path.Combine(rigScripts, "build-guest.sh"), [guest], TimeSpan.FromMinutes(10));
        Assert.True(built.ExitCode == 0, "building the guest failed: " + built);
        // A MAC that node-a (the first of two live nodes) answers, by its hardware address and by iPXE's client id.
        var mac = Enumerable.Range(0x10, 200).Select(i => $"52:54:00:ab:cd:{i:x2}").First(m =>
        {
            var bytes = Convert.FromHexString(m.Replace(":", "", StringComparison.Ordinal));
            return LoadBalanceHash.Of(bytes) % 2 == 0 && LoadBalanceHash.Of([1, .. bytes]) % 2 == 0;
        });

        await using var rig = await HaRig.StartAsync(["node-a", "node-b"], RigContent.Guest(mac), RigContent.GuestFiles(guest));
        var (a, b) = (rig.Servers[0], rig.Servers[1]);
        using var vm = QemuVm.Start(rig.Lan.Hub, "tap0", mac, "uefi");
        var log = vm.SerialLog;
        var clock = Stopwatch.StartNew();

        var script = await WaitForAsync(log, ScriptFetched(), TimeSpan.FromMinutes(6), vm, a);
        Assert.Contains($"http://{a.Address}:8091/", script.Value);
        a.Kill();
        output.WriteLine($"the VM fetched {script.Value} at +{clock.Elapsed.TotalSeconds:F0} s; node-a SIGKILLed");

        await WaitForAsync(log, CallbackDone(), TimeSpan.FromMinutes(6), vm, b);
        output.WriteLine($"the guest posted its callback at +{clock.Elapsed.TotalSeconds:F0} s");
        var serial = File.ReadAllText(log);
        Assert.Contains($"http://{b.Address}:8091/", serial);

        using var api = NamespacedHttp.Create(((HaNode)b).Namespace, $"http://{b.Address}:8092/api/v1/");
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:ha-admin")));
        var machine = JsonNode.Parse(await api.GetStringAsync("machines/rig-vm"))!;
        Assert.Equal("installed", machine["state"]!.GetValue<string>());
        Assert.False(b.HasExited, b.Output);
    }

    /// <summary>
    /// iPXE's line for a finished download of the boot script, e.g. "http://10.89.0.10:8091/boot/52%3A54%3A….ipxe... ok":
    /// iPXE adds dots while the download runs, so a slow machine prints more than three.
    /// </summary>
    [GeneratedRegex(@"http://[0-9.]+:8091/\S*\.ipxe\.{3,} ok")]
    private static partial Regex ScriptFetched();

    [GeneratedRegex("CALLBACK-OK|PROVISION-FAIL[^\r\n]*|Kernel panic")]
    private static partial Regex CallbackDone();

    private static async Task<Match> WaitForAsync(string log, Regex pattern, TimeSpan timeout, QemuVm vm, IHaServer survivor)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            var serial = File.Exists(log) ? await File.ReadAllTextAsync(log) : "";
            if (pattern.Match(serial) is { Success: true } match)
            {
                if (match.Value.Contains("PROVISION-FAIL", StringComparison.Ordinal) || match.Value.Contains("Kernel panic", StringComparison.Ordinal))
                {
                    Assert.Fail($"the guest failed: {match.Value}\n{Tail(serial)}\n--- {survivor.Name}:\n{Tail(survivor.Output)}");
                }
                return match;
            }
            if (vm.HasExited)
            {
                break;
            }
            await Task.Delay(500);
        }
        var tail = File.Exists(log) ? Tail(await File.ReadAllTextAsync(log)) : "(no serial output)";
        Assert.Fail($"no '{pattern}' on the VM's serial console within {timeout}:\n{tail}\n--- {survivor.Name}:\n{Tail(survivor.Output)}");
        return null!;
    }

    private static string Tail(string text) => string.Join('\n', text.Split('\n').TakeLast(40));
}
