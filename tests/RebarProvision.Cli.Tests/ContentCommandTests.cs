using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace RebarProvision.Cli.Tests;

public sealed class ContentCommandTests : CliTest
{
    private const string Bundle = """
        templates:
          - name: motd
            contents: "welcome to {{ machine.name }}"
        profiles:
          - name: global
            params:
              ntp: 10.0.0.1
        bootenvs:
          - name: installer
            description: installs things
        """;

    [Fact]
    public async Task An_imported_bundle_comes_back_in_the_export()
    {
        var imported = (await Cli.RunAsync("import", "-f", File("bundle.yaml", Bundle))).Expect(0);
        Assert.StartsWith("imported 3 objects from", imported.Stdout);

        var export = (await Cli.RunAsync("export")).Expect(0);

        var yaml = new YamlStream();
        yaml.Load(new StringReader(export.Stdout));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        Assert.Equal("motd", ((YamlMappingNode)((YamlSequenceNode)root["templates"])[0])["name"].ToString());
        Assert.Equal("10.0.0.1", ((YamlMappingNode)((YamlMappingNode)((YamlSequenceNode)root["profiles"])[0])["params"])["ntp"].ToString());
        Assert.Equal("installs things", ((YamlMappingNode)((YamlSequenceNode)root["bootenvs"])[0])["description"].ToString());
    }

    [Fact]
    public async Task An_export_imports_into_another_server_unchanged()
    {
        (await Cli.RunAsync("import", "-f", File("bundle.yaml", Bundle))).Expect(0);
        var export = (await Cli.RunAsync("export", "-o", "json")).Expect(0);
        var json = JsonNode.Parse(export.Stdout)!;
        Assert.Equal("installer", json["bootenvs"]![0]!["name"]!.GetValue<string>());

        await using var other = await RebarProvision.Server.Tests.TestServer.StartAsync();
        var otherCli = Rebarctl.For(other);
        (await otherCli.RunAsync("import", "-f", File("export.json", export.Stdout))).Expect(0);

        var again = (await otherCli.RunAsync("export")).Expect(0);
        var first = (await Cli.RunAsync("export")).Expect(0);
        Assert.Equal(Strip(first.Stdout), Strip(again.Stdout));
    }

    [Fact]
    public async Task A_bundle_with_an_unknown_kind_is_refused_naming_it()
    {
        var run = await Cli.RunAsync("import", "-f", File("bad.yaml", "machinez: []\n"));

        run.Expect(ExitCodes.ApiError);
        Assert.Contains("machinez", run.Stderr);
    }

    /// <summary>Timestamps and revisions differ between servers; everything else must not.</summary>
    private static string Strip(string yaml) => string.Join('\n', yaml.Split('\n')
        .Where(l => !l.TrimStart().StartsWith("createdAt:", StringComparison.Ordinal)
            && !l.TrimStart().StartsWith("updatedAt:", StringComparison.Ordinal)
            && !l.TrimStart().StartsWith("revision:", StringComparison.Ordinal)));
}
