using RebarProvision.Server.Configuration;

namespace RebarProvision.Server.Tests;

public sealed class ConfigurationTests
{
    [Fact]
    public void Flags_override_environment_which_overrides_the_config_file()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, "store: postgres\npostgres: Host=file\napiPort: 9000\nhttpPort: 9001\ndhcpInterfaces: [eth0, eth1]\n");
        var env = new Dictionary<string, string?> { ["REBAR_CONFIG"] = file, ["REBAR_API_PORT"] = "9100", ["REBAR_POSTGRES"] = "Host=env" };

        var options = ServerConfiguration.Load(["--api-port", "9200", "--dhcp-interfaces=br0"], env);

        Assert.Equal("postgres", options.Store);
        Assert.Equal("Host=env", options.Postgres);
        Assert.Equal(9200, options.ApiPort);
        Assert.Equal(9001, options.HttpPort);
        Assert.Equal(["br0"], options.DhcpInterfaces);
    }

    [Fact]
    public void Defaults_follow_the_design_table()
    {
        var options = ServerConfiguration.Load([], new Dictionary<string, string?>());
        Assert.Equal("sqlite", options.Store);
        Assert.Equal(67, options.DhcpPort);
        Assert.Equal(4011, options.ProxyPort);
        Assert.Equal(69, options.TftpPort);
        Assert.Equal(16, options.TftpMaxTransfersPerAddress);
        Assert.Equal(8091, options.HttpPort);
        Assert.Equal(8092, options.ApiPort);
        Assert.True(options.ApiTls);
        Assert.Empty(options.DhcpInterfaces);
        Assert.False(string.IsNullOrEmpty(options.Node));
    }

    [Theory]
    [InlineData(new[] { "--store", "mysql" }, "store")]
    [InlineData(new[] { "--store", "postgres" }, "postgres")]
    [InlineData(new[] { "--api-port", "70000" }, "apiPort")]
    [InlineData(new[] { "--bogus", "1" }, "--bogus")]
    [InlineData(new[] { "--advertise", "not-an-ip" }, "advertise")]
    [InlineData(new[] { "--tftp-max-per-address", "0" }, "tftpMaxTransfersPerAddress")]
    public void A_bad_setting_fails_with_its_name(string[] args, string named)
    {
        var error = Assert.Throws<ConfigurationException>(() => ServerConfiguration.Load(args, new Dictionary<string, string?>()));
        Assert.Contains(named, error.Message);
    }

    [Fact]
    public void An_unknown_key_in_the_config_file_is_named()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, "apiPort: 1\nhttpPrt: 2\n");
        var error = Assert.Throws<ConfigurationException>(() => ServerConfiguration.Load(["--config", file], new Dictionary<string, string?>()));
        Assert.Contains("httpPrt", error.Message);
    }
}
