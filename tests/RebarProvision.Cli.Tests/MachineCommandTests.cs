using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace RebarProvision.Cli.Tests;

public sealed class MachineCommandTests : CliTest
{
    private async Task<string> MachineAsync()
    {
        (await Cli.RunAsync("bootenvs", "create", "-f", File("installer.yaml", "name: installer\n"))).Expect(0);
        var created = (await Cli.RunWithInputAsync("name: m1\nhardwareAddrs: [\"52:54:00:00:01:01\"]\n", "machines", "create", "-f", "-", "-o", "json")).Expect(0);
        return JsonNode.Parse(created.Stdout)!["uuid"]!.GetValue<string>();
    }

    // The installer calls back only after the reimage has put the machine into provisioning; a fixed delay raced the
    // CLI's own start-up on a loaded runner (the callback landed first and the reimage then waited for nothing).
    private async Task CallbackAfterAsync(TimeSpan delay, string uuid, string body)
    {
        await Task.Delay(delay);
        var deadline = Stopwatch.StartNew();
        while ((await Server.Api.GetFromJsonAsync<JsonNode>($"machines/{uuid}"))!["state"]?.GetValue<string>() != "provisioning")
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), "the reimage never put the machine into provisioning");
            await Task.Delay(50);
        }
        using var callback = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        var response = await Server.Api.PostAsync($"machines/{uuid}/callback", callback);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Reimage_with_wait_returns_0_when_the_installed_callback_arrives()
    {
        var uuid = await MachineAsync();
        var callback = CallbackAfterAsync(TimeSpan.FromMilliseconds(700), uuid, """{"status":"installed"}""");
        var clock = Stopwatch.StartNew();

        var run = await Cli.RunAsync("machines", "reimage", "m1", "--bootenv", "installer", "--wait", "--timeout", "30s");
        await callback;

        run.Expect(ExitCodes.Ok);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Contains("machine m1 will install installer on its next boot", run.Stderr);
        Assert.Contains("machine m1 is provisioning", run.Stderr);
        Assert.Contains("machine m1 is installed", run.Stderr);
        var machine = await Server.Api.GetFromJsonAsync<JsonNode>($"machines/{uuid}");
        Assert.Equal("local", machine!["bootEnv"]!.GetValue<string>());
    }

    [Fact]
    public async Task Reimage_with_wait_exits_4_with_a_clear_message_when_no_callback_comes()
    {
        await MachineAsync();
        var clock = Stopwatch.StartNew();

        var run = await Cli.RunAsync("machines", "reimage", "m1", "--bootenv", "installer", "--wait", "--timeout", "2s");

        run.Expect(ExitCodes.Timeout);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10));
        Assert.Contains("error: timed out after 2s waiting for machine m1 to be installed; it is provisioning", run.Stderr);
    }

    [Fact]
    public async Task Reimage_with_wait_exits_3_with_the_installers_message_when_it_fails()
    {
        var uuid = await MachineAsync();
        var callback = CallbackAfterAsync(TimeSpan.FromMilliseconds(500), uuid, """{"status":"failed","message":"disk /dev/sda not found"}""");

        var run = await Cli.RunAsync("machines", "reimage", uuid, "--bootenv", "installer", "--wait", "--timeout", "30s");
        await callback;

        run.Expect(ExitCodes.MachineFailed);
        Assert.Contains("error: machine m1 failed: disk /dev/sda not found", run.Stderr);
    }

    [Fact]
    public async Task Reimage_without_wait_sets_the_bootenv_and_profiles_and_returns_at_once()
    {
        var uuid = await MachineAsync();
        (await Cli.RunAsync("profiles", "create", "-f", File("p.yaml", "name: rack1\n"))).Expect(0);

        var run = (await Cli.RunAsync("machines", "reimage", "m1", "--bootenv", "installer", "--profile", "rack1", "-o", "json")).Expect(0);

        var machine = JsonNode.Parse(run.Stdout)!;
        Assert.Equal("provisioning", machine["state"]!.GetValue<string>());
        Assert.Equal("installer", machine["bootEnv"]!.GetValue<string>());
        Assert.Equal("rack1", machine["profiles"]![0]!.GetValue<string>());
        Assert.Equal(uuid, machine["uuid"]!.GetValue<string>());
    }

    [Fact]
    public async Task Reimage_to_a_bootenv_that_does_not_exist_names_the_field()
    {
        await MachineAsync();

        var run = await Cli.RunAsync("machines", "reimage", "m1", "--bootenv", "nope", "--wait");

        run.Expect(ExitCodes.ApiError);
        Assert.Contains("field bootEnv: bootenv 'nope' does not exist", run.Stderr);
    }

    [Fact]
    public async Task Wait_returns_at_once_for_a_machine_already_in_the_state()
    {
        var uuid = await MachineAsync();
        (await Cli.RunAsync("machines", "reimage", "m1", "--bootenv", "installer")).Expect(0);
        await CallbackAfterAsync(TimeSpan.Zero, uuid, """{"status":"installed"}""");

        var run = await Cli.RunAsync("machines", "wait", "m1", "--state", "installed", "--timeout", "5s");

        run.Expect(ExitCodes.Ok);
    }

    [Fact]
    public async Task Wait_for_a_state_exits_4_when_the_machine_stays_where_it_is()
    {
        await MachineAsync();

        var run = await Cli.RunAsync("machines", "wait", "m1", "--state", "maintenance", "--timeout", "1s");

        run.Expect(ExitCodes.Timeout);
        Assert.Contains("waiting for machine m1 to be maintenance; it is discovered", run.Stderr);
    }

    [Fact]
    public async Task A_timeout_that_is_not_a_duration_is_a_usage_error()
    {
        var run = await Cli.RunAsync("machines", "wait", "m1", "--timeout", "soon");

        run.Expect(ExitCodes.UsageError);
        Assert.Contains("'soon' is not a duration", run.Stderr);
    }

    [Fact]
    public async Task Render_prints_the_file_the_machine_would_receive()
    {
        const string bundle = """
            bootenvs:
              - name: installer
                templates:
                  - name: hostname
                    path: machines/{{ machine.uuid }}/hostname
                    contents: "{{ machine.name }}.lab.example"
            """;
        (await Cli.RunAsync("import", "-f", File("bundle.yaml", bundle))).Expect(0);
        (await Cli.RunWithInputAsync("name: web1\nbootEnv: installer\nhardwareAddrs: [\"52:54:00:00:01:02\"]\n", "machines", "create", "-f", "-")).Expect(0);

        var run = (await Cli.RunAsync("machines", "render", "web1", "hostname")).Expect(0);

        Assert.Equal("web1.lab.example", run.Stdout);
    }
}
