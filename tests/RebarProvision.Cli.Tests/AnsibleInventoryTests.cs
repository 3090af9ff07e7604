using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using RebarProvision.Testing;

namespace RebarProvision.Cli.Tests;

/// <summary>The Ansible dynamic inventory, through rebarctl and read by Debian's ansible-inventory itself.</summary>
public sealed class AnsibleInventoryTests : CliTest
{
    private const string Mac = "52:54:00:ab:00:01";

    /// <summary>A machine with a profile, a reservation for its MAC, a plain param and a secure one.</summary>
    private async Task SeedAsync()
    {
        foreach (var (path, json) in new[]
        {
            ("profiles", """{"name":"web-tier","params":{"ntp/server":"10.0.0.1"}}"""),
            ("params", """{"name":"root/password","secure":true}"""),
            ("subnets", """{"name":"lab","cidr":"10.10.0.0/24","activeStart":"10.10.0.100","activeEnd":"10.10.0.199"}"""),
            ("reservations", $$"""{"addr":"10.10.0.42","token":"{{Mac}}","subnet":"lab"}"""),
            ("machines", $$$"""{"name":"web-1","hardwareAddrs":["{{{Mac}}}"],"bootEnv":"flatcar","profiles":["web-tier"],"params":{"root/password":"s3cret-value"}}"""),
        })
        {
            using var body = new StringContent(json, Encoding.UTF8, "application/json");
            var response = await Server.Api.PostAsync(path, body);
            Assert.True(response.IsSuccessStatusCode, $"{path}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    [Fact]
    public async Task The_list_groups_machines_by_bootenv_and_profile_with_ansible_host_from_the_reservation()
    {
        await SeedAsync();

        var run = (await Cli.RunAsync("ansible-inventory", "--list")).Expect(0);

        var inventory = JsonNode.Parse(run.Stdout)!;
        Assert.Equal("web-1", inventory["bootenv_flatcar"]!["hosts"]![0]!.GetValue<string>());
        Assert.Equal("web-1", inventory["profile_web_tier"]!["hosts"]![0]!.GetValue<string>());
        var vars = inventory["_meta"]!["hostvars"]!["web-1"]!;
        Assert.Equal("10.10.0.42", vars["ansible_host"]!.GetValue<string>());
        Assert.Equal("10.0.0.1", vars["ntp_server"]!.GetValue<string>());
        Assert.Null(vars["root_password"]);
        Assert.DoesNotContain("s3cret", run.Stdout);
        Assert.DoesNotContain("$secure", run.Stdout);
    }

    [Fact]
    public async Task Host_gives_one_machines_vars_and_an_empty_object_for_an_unknown_one()
    {
        await SeedAsync();

        var known = JsonNode.Parse((await Cli.RunAsync("ansible-inventory", "--host", "web-1")).Expect(0).Stdout)!;
        var unknown = JsonNode.Parse((await Cli.RunAsync("ansible-inventory", "--host", "nobody")).Expect(0).Stdout)!;

        Assert.Equal("10.10.0.42", known["ansible_host"]!.GetValue<string>());
        Assert.Empty(unknown.AsObject());
    }

    [Fact]
    public async Task Neither_or_both_of_list_and_host_is_a_usage_error()
    {
        (await Cli.RunAsync("ansible-inventory")).Expect(ExitCodes.UsageError);
        (await Cli.RunAsync("ansible-inventory", "--list", "--host", "x")).Expect(ExitCodes.UsageError);
    }

    [SkippableFact]
    public async Task Ansible_inventory_reads_it_through_a_script_that_calls_rebarctl()
    {
        var ansible = Prerequisite.RequireCommand("ansible-inventory");
        await SeedAsync();
        var script = File("rebar-inventory.sh", $"""
            #!/bin/sh
            exec dotnet {Path.Combine(AppContext.BaseDirectory, "rebarctl.dll")} ansible-inventory "$@"
            """);
        System.IO.File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var info = new ProcessStartInfo(ansible) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-i", script, "--list" })
        {
            info.ArgumentList.Add(arg);
        }
        foreach (var (name, value) in Cli.Variables)
        {
            info.Environment[name] = value;
        }
        // Ansible wants a writable home for its temp files and a UTF-8 locale; keep it away from the developer's.
        info.Environment["HOME"] = Path.GetDirectoryName(script);
        info.Environment["LC_ALL"] = "C.UTF-8";
        info.Environment["ANSIBLE_INVENTORY_ENABLED"] = "script";
        info.Environment["ANSIBLE_INVENTORY_UNPARSED_FAILED"] = "true";

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);

        Assert.True(process.ExitCode == 0, $"ansible-inventory exited {process.ExitCode}:\n{await stderr}\n{await stdout}");
        var parsed = JsonNode.Parse(await stdout)!;
        Assert.Contains("web-1", parsed["profile_web_tier"]!["hosts"]!.AsArray().Select(h => h!.GetValue<string>()));
        Assert.Contains("web-1", parsed["bootenv_flatcar"]!["hosts"]!.AsArray().Select(h => h!.GetValue<string>()));
        Assert.Equal("10.10.0.42", parsed["_meta"]!["hostvars"]!["web-1"]!["ansible_host"]!.GetValue<string>());
    }
}
