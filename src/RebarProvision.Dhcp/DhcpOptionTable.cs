namespace RebarProvision.Dhcp;

/// <summary>The one place that says which options we know, what they are called and how their values read.</summary>
public static class DhcpOptionTable
{
    private static readonly DhcpOptionDefinition[] Known =
    [
        new(DhcpOptionCode.SubnetMask, "subnet-mask", DhcpOptionType.Address),
        new(DhcpOptionCode.Router, "routers", DhcpOptionType.AddressList),
        new(DhcpOptionCode.DomainNameServer, "domain-name-servers", DhcpOptionType.AddressList),
        new(DhcpOptionCode.HostName, "host-name", DhcpOptionType.Text),
        new(DhcpOptionCode.DomainName, "domain-name", DhcpOptionType.Text),
        new(DhcpOptionCode.BroadcastAddress, "broadcast-address", DhcpOptionType.Address),
        new(DhcpOptionCode.VendorSpecific, "vendor-encapsulated-options", DhcpOptionType.Bytes),
        new(DhcpOptionCode.RequestedAddress, "requested-address", DhcpOptionType.Address),
        new(DhcpOptionCode.LeaseTime, "lease-time", DhcpOptionType.UInt32),
        new(DhcpOptionCode.Overload, "option-overload", DhcpOptionType.Byte),
        new(DhcpOptionCode.MessageType, "message-type", DhcpOptionType.Byte),
        new(DhcpOptionCode.ServerIdentifier, "server-identifier", DhcpOptionType.Address),
        new(DhcpOptionCode.ParameterRequestList, "parameter-request-list", DhcpOptionType.ByteList),
        new(DhcpOptionCode.MaxMessageSize, "max-message-size", DhcpOptionType.UInt16),
        new(DhcpOptionCode.RenewalTime, "renewal-time", DhcpOptionType.UInt32),
        new(DhcpOptionCode.RebindingTime, "rebinding-time", DhcpOptionType.UInt32),
        new(DhcpOptionCode.VendorClass, "vendor-class-identifier", DhcpOptionType.Text),
        new(DhcpOptionCode.ClientIdentifier, "client-identifier", DhcpOptionType.Bytes),
        new(DhcpOptionCode.TftpServerName, "tftp-server-name", DhcpOptionType.Text),
        new(DhcpOptionCode.BootFileName, "bootfile-name", DhcpOptionType.Text),
        new(DhcpOptionCode.UserClass, "user-class", DhcpOptionType.Text),
        new(DhcpOptionCode.RelayAgentInformation, "relay-agent-information", DhcpOptionType.Bytes),
        new(DhcpOptionCode.ClientArchitecture, "client-system-architecture", DhcpOptionType.UInt16List),
        new(DhcpOptionCode.ClientNetworkInterface, "client-network-interface", DhcpOptionType.Bytes),
        new(DhcpOptionCode.ClientMachineIdentifier, "client-machine-identifier", DhcpOptionType.Bytes),
        new(DhcpOptionCode.DomainSearch, "domain-search", DhcpOptionType.DomainList),
        new(DhcpOptionCode.ClasslessStaticRoute, "classless-static-route", DhcpOptionType.ClasslessRoutes),
        new(DhcpOptionCode.End, "end", DhcpOptionType.Bytes),
    ];

    private static readonly DhcpOptionDefinition?[] ByCode = BuildIndex();

    public static IReadOnlyList<DhcpOptionDefinition> All => Known;

    /// <summary>The definition of a code; unknown codes read and write as raw bytes (passed through untouched).</summary>
    public static DhcpOptionDefinition Find(byte code) =>
        ByCode[code] ?? new DhcpOptionDefinition(code, $"option-{code}", DhcpOptionType.Bytes);

    public static bool IsKnown(byte code) => ByCode[code] is not null;

    /// <summary>Operator text to bytes for a code; an unknown code takes hex pairs, or else the text itself.</summary>
    public static bool TryEncode(byte code, string text, out byte[] value)
    {
        var definition = Find(code);
        if (definition.TryEncode(text, out value))
        {
            return true;
        }
        if (!IsKnown(code))
        {
            value = System.Text.Encoding.UTF8.GetBytes(text);
            return true;
        }
        return false;
    }

    private static DhcpOptionDefinition?[] BuildIndex()
    {
        var index = new DhcpOptionDefinition?[256];
        foreach (var definition in Known)
        {
            index[definition.Code] = definition;
        }
        return index;
    }
}
