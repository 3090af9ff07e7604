namespace RebarProvision.Dhcp;

/// <summary>Which RFC 2131 §4.3.2 case a DHCPREQUEST is.</summary>
public enum DhcpClientState
{
    /// <summary>Not a REQUEST, or one that fits none of the cases (no 54, 50 nor ciaddr).</summary>
    Invalid,

    /// <summary>Answering an OFFER: carries option 54 (server identifier) and 50 (requested address).</summary>
    Selecting,

    /// <summary>Rebooted with a remembered address: 50 set, no 54, ciaddr zero.</summary>
    InitReboot,

    /// <summary>Extending its lease: ciaddr set, no 54 nor 50 (unicast when renewing, broadcast when rebinding).</summary>
    RenewingOrRebinding,
}
