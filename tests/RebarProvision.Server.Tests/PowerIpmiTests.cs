using RebarProvision.Model;
using RebarProvision.Server.Power;
using RebarProvision.Testing;

namespace RebarProvision.Server.Tests;

/// <summary>The ipmitool command line, and that the password travels in the environment, never in argv.</summary>
public sealed class PowerIpmiTests
{
    [Theory]
    [InlineData(PowerAction.Cycle, "cycle")]
    [InlineData(PowerAction.On, "on")]
    [InlineData(PowerAction.Off, "off")]
    public void The_command_is_lanplus_with_the_password_taken_from_the_environment(PowerAction action, string verb)
    {
        var arguments = IpmiCommand.Arguments("10.0.0.5", "admin", action);

        Assert.Equal(["-I", "lanplus", "-H", "10.0.0.5", "-U", "admin", "-E", "chassis", "power", verb], arguments);
    }

    [Fact]
    public void An_address_with_a_port_passes_the_port_with_dash_p_but_an_ipv6_address_stays_whole()
    {
        Assert.Equal(["-I", "lanplus", "-H", "127.0.0.1", "-p", "6230", "-U", "u", "-E", "chassis", "power", "cycle"], IpmiCommand.Arguments("127.0.0.1:6230", "u", PowerAction.Cycle));
        Assert.Equal("fd00::5", IpmiCommand.Arguments("fd00::5", "u", PowerAction.Cycle)[3]);
    }

    [SkippableFact]
    public async Task The_driver_hands_the_password_to_ipmitool_in_IPMI_PASSWORD_and_not_on_the_command_line()
    {
        Prerequisite.RequireCommand("sh");
        var dir = Directory.CreateTempSubdirectory("rebar-ipmi-").FullName;
        var record = Path.Combine(dir, "record");
        var fake = Path.Combine(dir, "ipmitool");
        await File.WriteAllTextAsync(fake, $"#!/bin/sh\necho \"argv: $*\" > {record}\necho \"env: $IPMI_PASSWORD\" >> {record}\n");
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var machine = new Machine { Name = "m1", Power = new PowerEndpoint { Kind = "ipmi", Address = "10.0.0.5" } };

        await new IpmiPowerDriver(TimeSpan.FromSeconds(10), fake).PowerAsync(machine, PowerAction.Cycle, new PowerCredentials("admin", "ipmi-s3cret"), insecure: false, CancellationToken.None);

        var lines = await File.ReadAllLinesAsync(record);
        Assert.Equal("argv: -I lanplus -H 10.0.0.5 -U admin -E chassis power cycle", lines[0]);
        Assert.Equal("env: ipmi-s3cret", lines[1]);
        Directory.Delete(dir, recursive: true);
    }

    [SkippableFact]
    public async Task A_failing_ipmitool_is_a_power_control_error_with_its_message()
    {
        Prerequisite.RequireCommand("sh");
        var dir = Directory.CreateTempSubdirectory("rebar-ipmi-").FullName;
        var fake = Path.Combine(dir, "ipmitool");
        await File.WriteAllTextAsync(fake, "#!/bin/sh\necho 'Error: Unable to establish IPMI v2 / RMCP+ session' >&2\nexit 1\n");
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var machine = new Machine { Name = "m1", Power = new PowerEndpoint { Kind = "ipmi", Address = "10.0.0.5" } };

        var error = await Assert.ThrowsAsync<PowerControlException>(() =>
            new IpmiPowerDriver(TimeSpan.FromSeconds(10), fake).PowerAsync(machine, PowerAction.Cycle, new PowerCredentials("admin", "x"), false, CancellationToken.None));

        Assert.Contains("Unable to establish IPMI v2", error.Message);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void Credentials_do_not_print_their_password()
    {
        Assert.DoesNotContain("ipmi-s3cret", new PowerCredentials("admin", "ipmi-s3cret").ToString());
    }
}
