namespace RebarProvision.Server.Power;

/// <summary>
/// The <c>ipmitool</c> command line for a power action. The password never appears here: <c>-E</c> makes ipmitool
/// read it from the <see cref="PasswordVariable"/> environment variable, because argv is world-readable in /proc.
/// </summary>
public static class IpmiCommand
{
    public const string Program = "ipmitool";

    public const string PasswordVariable = "IPMI_PASSWORD";

    /// <summary>IPMI v2.0 over LAN (lanplus), which every BMC of the last decade speaks.</summary>
    public static IReadOnlyList<string> Arguments(string address, string username, PowerAction action)
    {
        var (host, port) = SplitPort(address);
        var arguments = new List<string> { "-I", "lanplus", "-H", host };
        if (port is not null)
        {
            arguments.AddRange(["-p", port]);
        }
        arguments.AddRange(["-U", username, "-E", "chassis", "power", Verb(action)]);
        return arguments;
    }

    private static string Verb(PowerAction action) => action switch
    {
        PowerAction.Cycle => "cycle",
        PowerAction.On => "on",
        PowerAction.Off => "off",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };

    /// <summary>"10.0.0.5:6230" names a non-standard port (e.g. a virtual BMC); a bare IPv6 address has several colons and no port.</summary>
    private static (string Host, string? Port) SplitPort(string address)
    {
        var colon = address.LastIndexOf(':');
        return colon > 0 && address.IndexOf(':') == colon && int.TryParse(address[(colon + 1)..], out _)
            ? (address[..colon], address[(colon + 1)..])
            : (address, null);
    }
}
