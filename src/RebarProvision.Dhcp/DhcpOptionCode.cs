namespace RebarProvision.Dhcp;

/// <summary>The option codes the server reads or writes (RFC 2132 and the PXE/relay RFCs named on each).</summary>
public static class DhcpOptionCode
{
    public const byte Pad = 0;
    public const byte SubnetMask = 1;
    public const byte Router = 3;
    public const byte DomainNameServer = 6;
    public const byte HostName = 12;
    public const byte DomainName = 15;
    public const byte BroadcastAddress = 28;
    public const byte VendorSpecific = 43;
    public const byte RequestedAddress = 50;
    public const byte LeaseTime = 51;
    public const byte Overload = 52;
    public const byte MessageType = 53;
    public const byte ServerIdentifier = 54;
    public const byte ParameterRequestList = 55;
    public const byte MaxMessageSize = 57;
    public const byte RenewalTime = 58;
    public const byte RebindingTime = 59;
    public const byte VendorClass = 60;
    public const byte ClientIdentifier = 61;
    public const byte TftpServerName = 66;
    public const byte BootFileName = 67;
    public const byte UserClass = 77;
    public const byte RelayAgentInformation = 82;
    public const byte ClientArchitecture = 93;
    public const byte ClientNetworkInterface = 94;
    public const byte ClientMachineIdentifier = 97;
    public const byte DomainSearch = 119;
    public const byte ClasslessStaticRoute = 121;
    public const byte End = 255;
}
