using System.Text;

namespace RebarProvision.Cli.Tests;

public sealed class MachineShowTests : CliTest
{
    [Fact]
    public async Task Show_says_why_a_machine_cannot_boot_naming_the_missing_file_and_the_node()
    {
        foreach (var (path, json) in new[]
        {
            ("bootenvs", """{"name":"half","kernel":"vmlinuz","initrds":["initrd.img"]}"""),
            ("machines", """{"name":"m-1","hardwareAddrs":["52:54:00:cc:00:01"],"bootEnv":"half"}"""),
        })
        {
            using var body = new StringContent(json, Encoding.UTF8, "application/json");
            var response = await Server.Api.PostAsync(path, body);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }

        var shown = (await Cli.RunAsync("machines", "show", "m-1")).Expect(0);

        Assert.Contains("cannotBoot: ", shown.Stdout);
        Assert.Contains("is missing kernel vmlinuz, initrd initrd.img on node test-node", shown.Stdout);
    }

    [Fact]
    public async Task Show_adds_nothing_for_a_machine_that_can_boot()
    {
        foreach (var (path, json) in new[]
        {
            ("bootenvs", """{"name":"local","bootParams":""}"""),
            ("machines", """{"name":"m-2","hardwareAddrs":["52:54:00:cc:00:02"],"bootEnv":"local"}"""),
        })
        {
            using var body = new StringContent(json, Encoding.UTF8, "application/json");
            var response = await Server.Api.PostAsync(path, body);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }

        var shown = (await Cli.RunAsync("machines", "show", "m-2")).Expect(0);

        Assert.DoesNotContain("cannotBoot", shown.Stdout);
    }
}
