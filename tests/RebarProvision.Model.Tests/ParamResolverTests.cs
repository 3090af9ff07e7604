using System.Text.Json.Nodes;
using RebarProvision.Model;

namespace RebarProvision.Model.Tests;

public sealed class ParamResolverTests
{
    private static readonly Dictionary<string, Profile> Profiles = new()
    {
        ["rack1"] = new Profile { Name = "rack1", Params = { ["ntp"] = "rack1-ntp", ["console"] = "ttyS1" } },
        ["gpu"] = new Profile { Name = "gpu", Params = { ["ntp"] = "gpu-ntp", ["driver"] = "nvidia" } },
        ["global"] = new Profile { Name = "global", Params = { ["ntp"] = "global-ntp", ["console"] = "tty0", ["domain"] = "lab" } },
    };

    private static readonly Param[] Declared =
    [
        new() { Name = "domain", Schema = new ParamSchema { Default = "example.com" } },
        new() { Name = "timezone", Schema = new ParamSchema { Default = "UTC" } },
    ];

    private static Dictionary<string, JsonNode?> Resolve(Machine machine) =>
        ParamResolver.Resolve(machine, name => Profiles.GetValueOrDefault(name), Declared);

    [Fact]
    public void The_machines_own_param_wins_over_everything()
    {
        var machine = new Machine { Profiles = ["rack1"], Params = { ["ntp"] = "own" } };
        Assert.Equal("own", Resolve(machine)["ntp"]!.GetValue<string>());
    }

    [Fact]
    public void Profiles_apply_in_order_before_global()
    {
        Assert.Equal("gpu-ntp", Resolve(new Machine { Profiles = ["gpu", "rack1"] })["ntp"]!.GetValue<string>());
        Assert.Equal("rack1-ntp", Resolve(new Machine { Profiles = ["rack1", "gpu"] })["ntp"]!.GetValue<string>());
        Assert.Equal("ttyS1", Resolve(new Machine { Profiles = ["gpu", "rack1"] })["console"]!.GetValue<string>());
    }

    [Fact]
    public void Global_applies_to_every_machine_and_beats_schema_defaults()
    {
        var resolved = Resolve(new Machine());
        Assert.Equal("global-ntp", resolved["ntp"]!.GetValue<string>());
        Assert.Equal("lab", resolved["domain"]!.GetValue<string>());
    }

    [Fact]
    public void A_schema_default_fills_what_no_source_has()
    {
        Assert.Equal("UTC", Resolve(new Machine())["timezone"]!.GetValue<string>());
    }

    [Fact]
    public void A_missing_profile_is_skipped()
    {
        Assert.Equal("global-ntp", Resolve(new Machine { Profiles = ["gone"] })["ntp"]!.GetValue<string>());
    }

    [Fact]
    public void Resolved_values_are_copies_so_templates_cannot_change_profiles()
    {
        var resolved = Resolve(new Machine { Params = { ["list"] = new JsonArray(1, 2) } });
        resolved["ntp"] = "changed";
        Assert.Equal("global-ntp", Profiles["global"].Params["ntp"]!.GetValue<string>());
    }
}
