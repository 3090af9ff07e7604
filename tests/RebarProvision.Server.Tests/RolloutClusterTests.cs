using System.Net;
using System.Text.Json.Nodes;
using RebarProvision.Testing;

namespace RebarProvision.Server.Tests;

/// <summary>A rollout on several nodes: one node drives it, and another carries it on when that node dies.</summary>
public sealed class RolloutClusterTests
{
    [SkippableFact]
    public async Task A_rollout_started_on_one_node_is_carried_on_by_the_survivor_when_the_driving_node_is_killed_and_no_machine_is_reimaged_twice()
    {
        await using var cluster = await NodeCluster.StartAsync(2);
        async Task<string?> HolderAsync() =>
            (await NodeCluster.NodesAsync(cluster.Nodes[0])).SingleOrDefault(n => n!["live"]!.GetValue<bool>() && n["singleton"]!.GetValue<bool>())?["name"]?.GetValue<string>();
        await NodeCluster.EventuallyAsync(async () => await HolderAsync() is not null, TimeSpan.FromSeconds(15), "one node holds the singleton work");
        var (driver, survivor) = await HolderAsync() == "node-1" ? (cluster.Nodes[0], cluster.Nodes[1]) : (cluster.Nodes[1], cluster.Nodes[0]);
        // Everything but the driving goes through the survivor: the rollout is created there, the installers call back there.
        using var api = NodeCluster.Admin(survivor);
        using var boot = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{survivor.HttpPort}/") };
        var fleet = await SimulatedFleet.CreateAsync(api, 4);
        var before = await RolloutHistory.LastEventIdAsync(api);
        await using var installer = new FakeInstaller(api, boot);

        var created = await (await (await api.PostJsonAsync("machines/reimage", """{"selector":{"profile":"k8s-workers"},"bootEnv":"installer"}""")).Expect(HttpStatusCode.Created)).JsonAsync();
        var id = created["id"]!.GetValue<string>();
        async Task<JsonNode> RolloutAsync() => await (await (await api.GetAsync($"rollouts/{id}")).Expect(HttpStatusCode.OK)).JsonAsync();
        await NodeCluster.EventuallyAsync(async () => (await RolloutAsync())["machines"]![0]!["state"]!.GetValue<string>() == "installed",
            TimeSpan.FromSeconds(60), "the driving node takes the rollout through its first machine", pollMilliseconds: 100);
        await driver.KillAsync();
        await NodeCluster.EventuallyAsync(async () => (await RolloutAsync())["state"]!.GetValue<string>() != "running",
            TimeSpan.FromSeconds(90), "the survivor finishes the rollout", pollMilliseconds: 200);

        var done = await RolloutAsync();
        Assert.Equal("succeeded", done["state"]!.GetValue<string>());
        Assert.All(done["machines"]!.AsArray(), m => Assert.Equal("installed", m!["state"]!.GetValue<string>()));
        // No machine entered provisioning twice. (Not "every machine has its event": a machine's change and its event
        // row are two writes, and the SIGKILL can fall between them, losing the event of the machine being reimaged.)
        var history = await RolloutHistory.ReadAsync(api, fleet.Uuids, before);
        var reimaged = history.Reimaged();
        Assert.Equal(reimaged.Distinct(), reimaged);
        Assert.Subset(fleet.Names.ToHashSet(), reimaged.ToHashSet());
        Assert.Equal(1, history.MostOutOfInstalled());
    }
}
