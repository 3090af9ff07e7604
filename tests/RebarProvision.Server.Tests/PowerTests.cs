using System.Net;
using System.Text.Json.Nodes;

namespace RebarProvision.Server.Tests;

/// <summary>Power control through the API against a fake Redfish BMC on loopback.</summary>
public sealed class PowerTests
{
    private const string BmcPassword = "bmc-s3cret-4e1d";

    [Fact]
    public async Task Reimage_with_power_restarts_the_machine_once_with_the_decrypted_secure_password()
    {
        await using var bmc = await FakeRedfish.StartAsync("root", BmcPassword);
        await using var server = await TestServer.StartAsync();
        await SetUpAsync(server, bmc.Address, BmcPassword, insecure: true);

        var machine = await (await (await server.Api.PostJsonAsync("machines/m1/reimage", """{"bootEnv":"tiny","power":true}""")).Expect(HttpStatusCode.OK)).JsonAsync();

        Assert.Equal("provisioning", machine["state"]!.GetValue<string>());
        Assert.NotNull(machine["provisioningSince"]);
        var reset = Assert.Single(bmc.Resets);
        Assert.Equal(new FakeRedfish.Reset("ForceRestart", "root", BmcPassword), reset);
    }

    [Fact]
    public async Task Power_off_and_on_send_their_redfish_reset_types()
    {
        await using var bmc = await FakeRedfish.StartAsync("root", BmcPassword);
        await using var server = await TestServer.StartAsync();
        await SetUpAsync(server, bmc.Address, BmcPassword, insecure: true);

        await (await server.Api.PostJsonAsync("machines/m1/power", """{"action":"off"}""")).Expect(HttpStatusCode.NoContent);
        await (await server.Api.PostJsonAsync("machines/m1/power", """{"action":"on"}""")).Expect(HttpStatusCode.NoContent);
        await (await server.Api.PostJsonAsync("machines/m1/power", """{"action":"cycle"}""")).Expect(HttpStatusCode.NoContent);

        Assert.Equal(["ForceOff", "On", "ForceRestart"], bmc.Resets.Select(r => r.ResetType));
    }

    [Fact]
    public async Task A_bmc_refusing_the_credentials_is_a_502_carrying_its_answer()
    {
        await using var bmc = await FakeRedfish.StartAsync("root", BmcPassword);
        await using var server = await TestServer.StartAsync();
        await SetUpAsync(server, bmc.Address, "wrong-password", insecure: true);

        var problem = await (await (await server.Api.PostJsonAsync("machines/m1/power", """{"action":"cycle"}""")).Expect(HttpStatusCode.BadGateway)).JsonAsync();

        Assert.Contains("401", problem["detail"]!.GetValue<string>());
        Assert.DoesNotContain("wrong-password", problem.ToJsonString());
    }

    [Fact]
    public async Task A_self_signed_bmc_certificate_is_refused_unless_the_machine_says_power_insecure()
    {
        await using var bmc = await FakeRedfish.StartAsync("root", BmcPassword);
        await using var server = await TestServer.StartAsync();
        await SetUpAsync(server, bmc.Address, BmcPassword, insecure: false);

        var problem = await (await (await server.Api.PostJsonAsync("machines/m1/power", """{"action":"cycle"}""")).Expect(HttpStatusCode.BadGateway)).JsonAsync();

        Assert.Contains("redfish", problem["detail"]!.GetValue<string>());
        Assert.Empty(bmc.Resets);
    }

    [Fact]
    public async Task A_machine_without_a_power_endpoint_gets_a_400_naming_power_and_is_not_reimaged()
    {
        await using var server = await TestServer.StartAsync();
        await (await server.Api.PostJsonAsync("bootenvs", """{"name":"tiny","kernel":"k"}""")).Expect(HttpStatusCode.Created);
        await (await server.Api.PostJsonAsync("machines", """{"name":"m1","bootEnv":"local"}""")).Expect(HttpStatusCode.Created);

        var power = await (await (await server.Api.PostJsonAsync("machines/m1/power", """{"action":"cycle"}""")).Expect(HttpStatusCode.BadRequest)).JsonAsync();
        var reimage = await (await (await server.Api.PostJsonAsync("machines/m1/reimage", """{"bootEnv":"tiny","power":true}""")).Expect(HttpStatusCode.BadRequest)).JsonAsync();

        Assert.NotNull(power["errors"]!["power"]);
        Assert.NotNull(reimage["errors"]!["power"]);
        var machine = await (await server.Api.GetAsync("machines/m1")).JsonAsync();
        Assert.Equal("local", machine["bootEnv"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_unknown_power_action_is_a_400_naming_action()
    {
        await using var server = await TestServer.StartAsync();
        await (await server.Api.PostJsonAsync("machines", """{"name":"m1","power":{"kind":"ipmi","address":"10.0.0.5"}}""")).Expect(HttpStatusCode.Created);

        var problem = await (await (await server.Api.PostJsonAsync("machines/m1/power", """{"action":"reboot"}""")).Expect(HttpStatusCode.BadRequest)).JsonAsync();

        Assert.NotNull(problem["errors"]!["action"]);
    }

    /// <summary>A bootenv, a secure password param, a profile holding the user name, and m1 pointing at the BMC.</summary>
    private static async Task SetUpAsync(TestServer server, string bmcAddress, string password, bool insecure)
    {
        await (await server.Api.PostJsonAsync("bootenvs", """{"name":"tiny","kernel":"k"}""")).Expect(HttpStatusCode.Created);
        await (await server.Api.PostJsonAsync("params", """{"name":"power/password","secure":true,"schema":{"type":"string"}}""")).Expect(HttpStatusCode.Created);
        await (await server.Api.PostJsonAsync("profiles", """{"name":"rack","params":{"power/username":"root"}}""")).Expect(HttpStatusCode.Created);
        var machine = new JsonObject
        {
            ["name"] = "m1",
            ["bootEnv"] = "local",
            ["profiles"] = new JsonArray("rack"),
            ["power"] = new JsonObject { ["kind"] = "redfish", ["address"] = bmcAddress },
            ["params"] = new JsonObject { ["power/password"] = password, ["power/insecure"] = insecure },
        };
        await (await server.Api.PostJsonAsync("machines", machine.ToJsonString())).Expect(HttpStatusCode.Created);
    }
}
