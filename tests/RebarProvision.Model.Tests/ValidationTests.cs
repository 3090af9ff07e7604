using System.Text.Json.Nodes;
using RebarProvision.Model;

namespace RebarProvision.Model.Tests;

public sealed class ValidationTests
{
    [Theory]
    [InlineData("52:54:00:AB:cd:01", "52:54:00:ab:cd:01")]
    [InlineData("52-54-00-ab-cd-01", "52:54:00:ab:cd:01")]
    [InlineData("525400abcd01", "52:54:00:ab:cd:01")]
    public void MAC_addresses_have_one_stored_form(string input, string stored)
    {
        Assert.True(HardwareAddress.TryNormalize(input, out var normalized));
        Assert.Equal(stored, normalized);
    }

    [Theory]
    [InlineData("")]
    [InlineData("52:54:00:ab:cd")]
    [InlineData("52:54:00:ab:cd:01:02")]
    [InlineData("zz:54:00:ab:cd:01")]
    public void Malformed_MAC_addresses_are_refused(string input) =>
        Assert.False(HardwareAddress.TryNormalize(input, out _));

    [Fact]
    public void A_subnet_reports_every_bad_field()
    {
        var subnet = new Subnet { Name = "lab", Cidr = "10.0.0.0/24", ActiveStart = "10.0.1.1", ActiveEnd = "x", LeaseTime = 1, Pickers = ["random"], NextServer = "nope" };
        var fields = subnet.Validate().Select(e => e.Field).ToList();
        Assert.Equal(["activeStart", "activeEnd", "leaseTime", "nextServer", "pickers[0]"], fields);
    }

    [Fact]
    public void A_subnet_with_a_bad_cidr_still_reports_its_other_bad_fields()
    {
        var subnet = new Subnet { Name = "lab", Cidr = "10.0.0.0/33", ActiveStart = "x", ActiveEnd = "10.0.0.9", LeaseTime = 1 };

        Assert.Equal(["cidr", "activeStart", "leaseTime"], subnet.Validate().Select(e => e.Field));
    }

    [Fact]
    public void A_proxy_subnet_needs_no_address_range()
    {
        Assert.Empty(new Subnet { Name = "pxe", Cidr = "10.0.0.0/24", Proxy = true }.Validate());
    }

    [Fact]
    public void A_machine_with_a_bad_MAC_names_its_index()
    {
        var machine = new Machine { Uuid = Guid.NewGuid().ToString(), Name = "m", HardwareAddrs = ["52:54:00:00:00:01", "bad"] };
        Assert.Equal("hardwareAddrs[1]", Assert.Single(machine.Validate()).Field);
    }

    [Fact]
    public void Param_values_are_checked_against_their_schema()
    {
        var schema = new ParamSchema { Type = "integer", Minimum = 1, Maximum = 10 };
        Assert.Empty(schema.Check("n", JsonValue.Create(5)));
        Assert.Equal("must be at most 10", Assert.Single(schema.Check("n", JsonValue.Create(11))).Message);
        Assert.Equal("must be of type integer", Assert.Single(schema.Check("n", JsonValue.Create("5"))).Message);
        var choice = new ParamSchema { Type = "string", Enum = [JsonValue.Create("a"), JsonValue.Create("b")], Pattern = "^[a-z]$" };
        Assert.Single(choice.Check("c", JsonValue.Create("c")));
    }

    [Fact]
    public void Ipv4_networks_contain_their_addresses_only()
    {
        Assert.True(Ipv4Network.TryParse("10.97.0.0/16", out var network));
        Assert.True(Ipv4Network.TryParseAddress("10.97.250.255", out var inside));
        Assert.True(Ipv4Network.TryParseAddress("10.98.0.1", out var outside));
        Assert.True(network.Contains(inside));
        Assert.False(network.Contains(outside));
        Assert.Equal("10.97.255.255", Ipv4Network.Format(network.Broadcast));
        Assert.False(Ipv4Network.TryParse("10.0.0.0/33", out _));
    }
}
