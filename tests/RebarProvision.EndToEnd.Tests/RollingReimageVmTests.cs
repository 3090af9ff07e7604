using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using RebarProvision.Testing;
using Xunit.Abstractions;

namespace RebarProvision.EndToEnd.Tests;

/// <summary>
/// Issue 15's rolling reimage with real machines: two qemu VMs on one bridge, in service (installed), are reimaged
/// through <c>POST /api/v1/machines/reimage</c> at maxUnavailable 1. There is no BMC here, so the test is the power
/// controller, as an operator's would be: when the server puts a machine into its reimage, the test starts that
/// machine's VM, which PXE-boots from our DHCP and HTTP, fetches its per-machine file and reports installed through
/// its callback. What the operator sees through the API must show one machine out of installed at a time.
/// </summary>
[Collection(QemuCollection.Name)]
public sealed class RollingReimageVmTests(ITestOutputHelper output)
{
    private const int MaxUnavailable = 1;
    private const string Profile = "rig-workers";
    private static readonly (string Name, string Mac)[] Fleet = [("rig-a", "52:54:00:97:00:0a"), ("rig-b", "52:54:00:97:00:0b")];
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(8);

    [SkippableFact]
    public async Task Two_VMs_are_reimaged_one_at_a_time_each_booting_from_our_server_and_reporting_installed()
    {
        Prerequisite.RequireRoot();
        Prerequisite.RequireCommand("qemu-system-x86_64");
        Prerequisite.Require(File.Exists("/usr/lib/ipxe/qemu/efi-e1000.rom"), "needs Debian's ipxe-qemu package (the e1000's iPXE ROM)");
        var guest = RigContent.GuestDir();
        var built = await ProcessRunner.RunAsync(Path.Combine(AppContext.BaseDirectory, "rig", "build-guest.sh"), [guest], TimeSpan.FromMinutes(10));
        Assert.True(built.ExitCode == 0, "building the guest failed: " + built);

        using var server = await NamespacedServer.StartAsync("ro", "10.97.0", RigContent.Guests(Profile, Fleet));
        foreach (var (path, source) in RigContent.GuestFiles(guest))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(server.DataDir, "files", path))!);
            File.Copy(source, Path.Combine(server.DataDir, "files", path));
        }
        QemuVm.Bridge(server.ClientNamespace, "vc");
        var api = server.Api;

        // In service before the rollout, as a running cluster's machines are (their first install is not what this
        // test is about, and a boot under TCG costs most of a minute).
        var uuids = new Dictionary<string, string>();
        foreach (var (name, _) in Fleet)
        {
            using var installed = await PostAsync(api, $"machines/{name}/callback", """{"status":"installed"}""");
            Assert.True(installed.StatusCode == HttpStatusCode.OK, $"seeding {name}: {await installed.Content.ReadAsStringAsync()}");
            var machine = await GetAsync(api, $"machines/{name}");
            Assert.Equal("installed", machine["state"]!.GetValue<string>());
            uuids[name] = machine["uuid"]!.GetValue<string>();
        }
        var before = await RolloutHistory.LastEventIdAsync(api);

        using var response = await PostAsync(api, "machines/reimage",
            $$"""{"selector":{"profile":"{{Profile}}"},"bootEnv":"rig-guest","maxUnavailable":{{MaxUnavailable}},"machineTimeoutSeconds":300}""");
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST machines/reimage: {await response.Content.ReadAsStringAsync()}");
        var created = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        var id = created["id"]!.GetValue<string>();
        var rolloutCreated = created["createdAt"]!.GetValue<DateTimeOffset>();
        Assert.Equal(Fleet.Select(m => m.Name), created["machines"]!.AsArray().Select(m => m!["name"]!.GetValue<string>()));

        var (done, mostOutPolled, mostReimagingPolled) = await PlayPowerControllerAsync(server, id);

        // What polling the API saw while the VMs booted (had both been reimaged at once, both would have been
        // provisioning for the half minute a boot takes), and the database's own order of the machines' transitions.
        Assert.True(mostOutPolled == MaxUnavailable, $"the most machines out of installed at one poll: {mostOutPolled}");
        Assert.True(mostReimagingPolled == MaxUnavailable, $"the most machines the rollout had reimaging at one poll: {mostReimagingPolled}");
        var history = await RolloutHistory.ReadAsync(api, uuids, before);
        Assert.Equal(MaxUnavailable, history.MostOutOfInstalled());
        Assert.Equal(Fleet.Select(m => m.Name), history.Reimaged());
        // The rollout's own record: finished, both installed, the second started only after the first finished.
        Assert.Equal("succeeded", done["state"]!.GetValue<string>());
        var entries = done["machines"]!.AsArray();
        Assert.All(entries, e => Assert.Equal("installed", e!["state"]!.GetValue<string>()));
        Assert.True(entries[1]!["startedAt"]!.GetValue<DateTimeOffset>() >= entries[0]!["finishedAt"]!.GetValue<DateTimeOffset>(),
            $"rig-b was started before rig-a finished: {entries.ToJsonString()}");

        // Each machine is installed by its own installer this time (the callback came from the VM with the token its
        // boot script carried), after a boot from our server that the rollout caused.
        foreach (var (name, _) in Fleet)
        {
            var machine = await GetAsync(api, $"machines/{name}");
            Assert.Equal("installed", machine["state"]!.GetValue<string>());
            Assert.Equal("local", machine["bootEnv"]!.GetValue<string>());
            Assert.True(machine["lastBootAt"]?.GetValue<DateTimeOffset>() > rolloutCreated, $"{name} has no boot since the rollout: {machine.ToJsonString()}");
            var last = (await RolloutHistory.EventsAsync(api, $"events?key={uuids[name]}&after={before}&limit=10000"))
                .Last(e => e!["kind"]!.GetValue<string>() == "machine.updated")!;
            Assert.Equal("installed", last["object"]!["state"]!.GetValue<string>());
            Assert.Equal($"machine:{name}", last["actor"]!.GetValue<string>());
        }
    }

    /// <summary>
    /// Polls the machines and the rollout until the rollout is over, starting a machine's VM when the server has put
    /// the machine into its reimage (as a BMC's power cycle would), and counts what it sees out of installed.
    /// </summary>
    private async Task<(JsonObject Rollout, int MostOut, int MostReimaging)> PlayPowerControllerAsync(NamespacedServer server, string id)
    {
        var vms = new Dictionary<string, (QemuVm Vm, Stopwatch Clock)>();
        var clock = Stopwatch.StartNew();
        var (mostOut, mostReimaging) = (0, 0);
        try
        {
            while (clock.Elapsed < Deadline)
            {
                var rollout = await GetAsync(server.Api, $"rollouts/{id}");
                var states = await StatesAsync(server.Api);
                // The machines are read one after the other: their states held together only if none changed
                // between two passes (otherwise a's stale "provisioning" could meet b's fresh one). Unsure polls
                // are not counted; the next one is.
                if ((await StatesAsync(server.Api)).SequenceEqual(states))
                {
                    mostOut = Math.Max(mostOut, states.Values.Count(s => s.State != "installed"));
                }
                var reimaging = rollout["machines"]!.AsArray().Count(e => e!["state"]!.GetValue<string>() == "reimaging");
                mostReimaging = Math.Max(mostReimaging, reimaging);
                if (rollout["state"]!.GetValue<string>() != "running" && reimaging == 0)
                {
                    output.WriteLine($"+{clock.Elapsed.TotalSeconds:F0} s: rollout {rollout["state"]}: {rollout["stateMessage"]}");
                    return (rollout, mostOut, mostReimaging);
                }
                for (var i = 0; i < Fleet.Length; i++)
                {
                    var (name, mac) = Fleet[i];
                    if (states[name].State == "provisioning" && !vms.ContainsKey(name))
                    {
                        output.WriteLine($"+{clock.Elapsed.TotalSeconds:F0} s: {name} is provisioning; starting its VM ({string.Join(", ", states.Select(s => $"{s.Key} {s.Value.State}"))})");
                        vms[name] = (QemuVm.Start(server.ClientNamespace, $"tap{i}", mac), Stopwatch.StartNew());
                    }
                    else if (vms.TryGetValue(name, out var vm) && vm.Vm.HasExited && vm.Clock.IsRunning)
                    {
                        vm.Clock.Stop();
                        output.WriteLine($"+{clock.Elapsed.TotalSeconds:F0} s: {name}'s VM powered off after {vm.Clock.Elapsed.TotalSeconds:F0} s");
                        // Read again: the callback may have landed between this poll's read and the power-off.
                        var now = (await GetAsync(server.Api, $"machines/{name}"))["state"]!.GetValue<string>();
                        Assert.True(now == "installed", $"{name}'s VM stopped and the machine is {now}:\n{vm.Vm.Tail()}\n--- server:\n{Tail(server.Output)}");
                        Assert.Contains("CALLBACK-OK", vm.Vm.Serial);
                    }
                }
                await Task.Delay(500);
            }
            var serials = string.Join("\n", vms.Select(v => $"--- {v.Key}:\n{v.Value.Vm.Tail()}"));
            Assert.Fail($"rollout {id} did not finish within {Deadline}:\n{serials}\n--- server:\n{Tail(server.Output)}");
            return default;
        }
        finally
        {
            foreach (var (vm, _) in vms.Values)
            {
                vm.Dispose();
            }
        }
    }

    /// <summary>Each machine's state and revision, read one machine after the other.</summary>
    private static async Task<Dictionary<string, (string State, long Revision)>> StatesAsync(HttpClient api)
    {
        var states = new Dictionary<string, (string State, long Revision)>();
        foreach (var (name, _) in Fleet)
        {
            var machine = await GetAsync(api, $"machines/{name}");
            states[name] = (machine["state"]!.GetValue<string>(), machine["revision"]!.GetValue<long>());
        }
        return states;
    }

    private static async Task<JsonObject> GetAsync(HttpClient api, string path)
    {
        using var response = await api.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient api, string path, string json)
    {
        using var body = new StringContent(json, Encoding.UTF8, "application/json");
        return await api.PostAsync(path, body);
    }

    private static string Tail(string text) => string.Join('\n', text.Split('\n').TakeLast(40));
}
