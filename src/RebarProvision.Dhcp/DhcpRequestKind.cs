namespace RebarProvision.Dhcp;

/// <summary>RFC 2131 §4.3.2: tells the REQUEST cases apart by options 54, 50 and ciaddr.</summary>
public static class DhcpRequestKind
{
    public static DhcpClientState Of(DhcpMessage request)
    {
        if (request.MessageType != DhcpMessageType.Request)
        {
            return DhcpClientState.Invalid;
        }
        var options = request.Options;
        if (options.Contains(DhcpOptionCode.ServerIdentifier))
        {
            return DhcpClientState.Selecting;
        }
        if (request.ClientAddress != 0)
        {
            return DhcpClientState.RenewingOrRebinding;
        }
        return options.GetAddress(DhcpOptionCode.RequestedAddress) is not null ? DhcpClientState.InitReboot : DhcpClientState.Invalid;
    }

    /// <summary>The address a REQUEST asks for: option 50, or ciaddr when renewing (§4.3.2).</summary>
    public static uint RequestedAddress(DhcpMessage request) =>
        request.Options.GetAddress(DhcpOptionCode.RequestedAddress) ?? request.ClientAddress;

    /// <summary>
    /// The lease key for a client: option 61 when sent (RFC 2131 §4.2: the client identifier, if present, names the
    /// client), else chaddr.
    /// </summary>
    public static string ClientToken(DhcpMessage request) =>
        request.Options.Get(DhcpOptionCode.ClientIdentifier) is { Length: > 0 } id ? DhcpMessage.FormatHex(id) : request.ClientMac;
}
