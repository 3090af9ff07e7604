using System.Net;
using System.Text.Json.Nodes;

namespace RebarProvision.Server.Tests;

/// <summary>The embedded store is a one-node cluster with the same API.</summary>
public sealed class SingleNodeClusterTests
{
    [Fact]
    public async Task On_SQLite_the_cluster_is_this_node_alone_live_and_holding_the_singleton_work()
    {
        await using var server = await TestServer.StartAsync(o => o.Node = "edge-1");
        JsonArray nodes = [];
        await NodeCluster.EventuallyAsync(async () =>
        {
            nodes = (JsonArray)await (await (await server.Api.GetAsync("nodes")).Expect(HttpStatusCode.OK)).JsonAsync();
            return nodes.Count == 1;
        }, TimeSpan.FromSeconds(10), "the node lists itself");
        var self = nodes[0]!;
        Assert.Equal("edge-1", self["name"]!.GetValue<string>());
        Assert.True(self["live"]!.GetValue<bool>());
        Assert.True(self["self"]!.GetValue<bool>());
        Assert.True(self["singleton"]!.GetValue<bool>());
        Assert.Equal($"http://127.0.0.1:{server.Options.HttpPort}", self["bootUrl"]!.GetValue<string>());
        Assert.Contains("node edge-1, one of 1 live", await server.Boot.GetStringAsync($"http://127.0.0.1:{server.Options.ApiPort}/readyz"));
        await (await server.Api.DeleteAsync("nodes/edge-1")).Expect(HttpStatusCode.Conflict);
    }
}
