namespace RebarProvision.Storm.Perf;

/// <summary>The steps of one machine's boot, in the order it takes them (DESIGN §4).</summary>
internal enum Stage
{
    /// <summary>DISCOVER → OFFER → REQUEST → ACK as the firmware's PXE client (options 93, 94, 97, 60).</summary>
    DhcpPxe,

    /// <summary>The loader the ACK named, over TFTP from the leased address.</summary>
    TftpLoader,

    /// <summary>DORA again as iPXE (option 77 "iPXE"), which names the iPXE script.</summary>
    DhcpIpxe,

    /// <summary>The iPXE script over HTTP.</summary>
    IpxeScript,

    Kernel,

    Initrd,

    /// <summary>The NoCloud seed's user-data and meta-data, as cloud-init fetches them.</summary>
    CloudInit,

    /// <summary>The installer's <c>status=installed</c> post to the callback URL in the user-data.</summary>
    Callback,

    /// <summary>Power-on to callback answered.</summary>
    Total,
}
