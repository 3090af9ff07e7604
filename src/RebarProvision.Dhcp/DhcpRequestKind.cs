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
    /// <remarks>
    /// RFC 2131 §4.2: a client identifier, when sent, names the client. Most clients (udhcpc, iPXE, systemd) send type 1
    /// followed by their own MAC; that identifier and the MAC name the same client, so the token is the MAC, and
    /// leases stay findable by MAC for machines, renders and the API.
    /// </remarks>
    public static string ClientToken(DhcpMessage request)
    {
        if (request.Options.Get(DhcpOptionCode.ClientIdentifier) is not { Length: > 0 } id)
        {
            return request.ClientMac;
        }
        var hex = DhcpMessage.FormatHex(id);
        return id.Length == 7 && id[0] == 1 && hex[3..] == request.ClientMac ? request.ClientMac : hex;
    }
}
