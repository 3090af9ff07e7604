using System.Text.Json.Nodes;
using RebarProvision.Server.Tests;
using YamlDotNet.RepresentationModel;

namespace RebarProvision.Cli.Tests;

public sealed class ObjectCommandTests : CliTest
{
    private const string ProfileYaml = """
        name: rack1
        description: the first rack
        params:
          console: ttyS0
          ntp: 10.0.0.1
        """;

    [Fact]
    public async Task A_profile_goes_through_create_list_show_patch_update_and_delete()
    {
        var created = (await Cli.RunAsync("profiles", "create", "-f", File("rack1.yaml", ProfileYaml))).Expect(0);
        Assert.Matches(@"^created profiles/rack1 \(revision \d+\)", created.Stdout);

        var table = (await Cli.RunAsync("profiles", "list")).Expect(0);
        var lines = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^NAME\s+PARAMS\s+DESCRIPTION$", lines[0]);
        Assert.Matches(@"^rack1\s+2\s+the first rack$", lines[1]);

        var shown = (await Cli.RunAsync("profiles", "show", "rack1")).Expect(0);
        Assert.Contains("console: ttyS0", shown.Stdout);

        (await Cli.RunAsync("profiles", "patch", "rack1", "--json", """[{"op":"replace","path":"/params/console","value":"ttyS1"}]""")).Expect(0);
        var patched = JsonNode.Parse((await Cli.RunAsync("profiles", "show", "rack1", "-o", "json")).Expect(0).Stdout)!;
        Assert.Equal("ttyS1", patched["params"]!["console"]!.GetValue<string>());

        // update sets the fields in the file and keeps the others.
        (await Cli.RunAsync("profiles", "update", "rack1", "-f", File("desc.yaml", "description: rack one\n"))).Expect(0);
        var updated = JsonNode.Parse((await Cli.RunAsync("profiles", "show", "rack1", "-o", "json")).Expect(0).Stdout)!;
        Assert.Equal("rack one", updated["description"]!.GetValue<string>());
        Assert.Equal("ttyS1", updated["params"]!["console"]!.GetValue<string>());

        var deleted = (await Cli.RunAsync("profiles", "delete", "rack1")).Expect(0);
        Assert.StartsWith("deleted profiles/rack1", deleted.Stdout);
        var empty = (await Cli.RunAsync("profiles", "list", "-o", "json")).Expect(0);
        Assert.Empty(JsonNode.Parse(empty.Stdout)!.AsArray());
        (await Cli.RunAsync("profiles", "show", "rack1")).Expect(ExitCodes.ApiError);
    }

    [Fact]
    public async Task Lists_print_as_a_table_a_JSON_array_or_a_YAML_sequence()
    {
        (await Cli.RunAsync("profiles", "create", "-f", File("rack1.yaml", ProfileYaml))).Expect(0);

        var json = JsonNode.Parse((await Cli.RunAsync("profiles", "list", "-o", "json")).Expect(0).Stdout)!.AsArray();
        Assert.Equal("rack1", Assert.Single(json)!["name"]!.GetValue<string>());

        var yaml = new YamlStream();
        yaml.Load(new StringReader((await Cli.RunAsync("profiles", "list", "-o", "yaml")).Expect(0).Stdout));
        var item = (YamlMappingNode)((YamlSequenceNode)yaml.Documents[0].RootNode).Children.Single();
        Assert.Equal("rack1", item["name"].ToString());
        Assert.Equal("ttyS0", ((YamlMappingNode)item["params"])["console"].ToString());

        var row = (await Cli.RunAsync("profiles", "show", "rack1", "-o", "table")).Expect(0);
        Assert.Matches(@"(?m)^rack1\s+2\s+the first rack$", row.Stdout);
    }

    [Fact]
    public async Task Machines_are_created_from_stdin_filtered_sorted_and_shown_by_name()
    {
        (await Cli.RunWithInputAsync("""{"name":"m2","hardwareAddrs":["52:54:00:00:00:02"],"arch":"arm64"}""", "machines", "create", "-f", "-")).Expect(0);
        (await Cli.RunWithInputAsync("name: m1\nhardwareAddrs: [\"52:54:00:00:00:01\"]\n", "machines", "create", "-f", "-")).Expect(0);
        (await Cli.RunWithInputAsync("name: m3\nhardwareAddrs: [\"52:54:00:00:00:03\"]\n", "machines", "create", "-f", "-")).Expect(0);

        var sorted = (await Cli.RunAsync("machines", "list", "--sort", "name", "--limit", "2")).Expect(0);
        var lines = sorted.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^NAME\s+UUID\s+STATE\s+BOOTENV\s+ADDRESS\s+MACS$", lines[0]);
        Assert.Equal(["m1", "m2"], lines[1..].Select(l => l.Split(' ')[0]));
        Assert.Contains("discovered", lines[1]);
        Assert.Contains("52:54:00:00:00:01", lines[1]);

        var arm = JsonNode.Parse((await Cli.RunAsync("machines", "list", "--filter", "arch=arm64", "-o", "json")).Expect(0).Stdout)!.AsArray();
        Assert.Equal("m2", Assert.Single(arm)!["name"]!.GetValue<string>());

        var byName = JsonNode.Parse((await Cli.RunAsync("machines", "show", "m3", "-o", "json")).Expect(0).Stdout)!;
        Assert.True(Guid.TryParse(byName["uuid"]!.GetValue<string>(), out _));
    }

    [Fact]
    public async Task An_update_with_a_stale_if_match_is_refused_and_changes_nothing()
    {
        (await Cli.RunAsync("profiles", "create", "-f", File("rack1.yaml", ProfileYaml))).Expect(0);
        var first = JsonNode.Parse((await Cli.RunAsync("profiles", "show", "rack1", "-o", "json")).Stdout)!["revision"]!.GetValue<long>();
        (await Cli.RunAsync("profiles", "patch", "rack1", "--json", """[{"op":"add","path":"/description","value":"moved"}]""")).Expect(0);

        var stale = await Cli.RunAsync("profiles", "update", "rack1", "--if-match", first.ToString(System.Globalization.CultureInfo.InvariantCulture), "-f", File("d.yaml", "description: stale\n"));

        stale.Expect(ExitCodes.ApiError);
        Assert.Contains("Precondition failed (412)", stale.Stderr);
        var now = JsonNode.Parse((await Cli.RunAsync("profiles", "show", "rack1", "-o", "json")).Stdout)!;
        Assert.Equal("moved", now["description"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_validation_error_names_each_field_and_exits_2()
    {
        var run = await Cli.RunWithInputAsync("""{"name":"bad name!","hardwareAddrs":["not-a-mac"]}""", "machines", "create", "-f", "-");

        run.Expect(ExitCodes.ApiError);
        Assert.Contains("error: The request has invalid fields (400)", run.Stderr);
        Assert.Contains("field name: must be 1-128 characters", run.Stderr);
        Assert.Contains("field hardwareAddrs[0]: 'not-a-mac' is not a MAC address", run.Stderr);
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public async Task A_field_the_server_does_not_know_is_named_in_the_error()
    {
        var run = await Cli.RunAsync("profiles", "create", "-f", File("typo.yaml", "name: p1\nparamz: {}\n"));

        run.Expect(ExitCodes.ApiError);
        Assert.Contains("paramz", run.Stderr);
    }

    [Fact]
    public async Task A_param_whose_name_has_a_slash_is_shown_and_deleted_by_that_name()
    {
        (await Cli.RunAsync("params", "create", "-f", File("p.json", """{"name":"power/user","schema":{"type":"string"}}"""))).Expect(0);

        var shown = (await Cli.RunAsync("params", "show", "power/user", "-o", "table")).Expect(0);
        Assert.Matches(@"(?m)^power/user\s+string\s+false$", shown.Stdout);
        (await Cli.RunAsync("params", "delete", "power/user")).Expect(0);
    }

    [Fact]
    public async Task A_file_that_is_not_YAML_is_a_usage_error_naming_its_line()
    {
        var run = await Cli.RunAsync("profiles", "create", "-f", File("broken.yaml", "name: p1\nparams: [unclosed\n"));

        run.Expect(ExitCodes.UsageError);
        Assert.Contains("broken.yaml: line", run.Stderr);
    }
}
