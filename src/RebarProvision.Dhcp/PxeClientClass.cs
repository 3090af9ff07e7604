namespace RebarProvision.Dhcp;

/// <summary>What kind of network boot a client is doing, from options 93, 60 and 77.</summary>
public enum PxeClientClass
{
    /// <summary>A plain DHCP client (an OS, an installer): no boot file.</summary>
    None,

    /// <summary>Legacy BIOS PXE ROM (arch 0).</summary>
    BiosPxe,

    /// <summary>UEFI x64 PXE (arch 7 or 9).</summary>
    UefiPxe,

    /// <summary>UEFI x64 HTTP boot (arch 16, vendor class HTTPClient).</summary>
    UefiHttp,

    /// <summary>UEFI arm64 PXE (arch 11).</summary>
    Arm64UefiPxe,

    /// <summary>UEFI arm64 HTTP boot (arch 19).</summary>
    Arm64UefiHttp,

    /// <summary>iPXE itself (user class "iPXE"), chain-loaded by one of the above: gets its script.</summary>
    Ipxe,

    /// <summary>Says it is PXE but with an architecture we have no loader for (e.g. IA32 EFI).</summary>
    Unsupported,
}
