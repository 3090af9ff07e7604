namespace RebarProvision.Storm.Perf;

/// <summary>How the simulated machines behave; the defaults are a BIOS PXE ROM chaining iPXE.</summary>
internal sealed record StormOptions
{
    public required string Interface { get; init; }

    /// <summary>PXE client architecture (option 93): 0 = BIOS (undionly.kpxe), 7 = UEFI x64 (ipxe.efi).</summary>
    public ushort Arch { get; init; }

    /// <summary>RFC 2348 blksize: iPXE asks for 1432 (an Ethernet MTU less IP, UDP and TFTP headers, rounded down).</summary>
    public int BlockSize { get; init; } = 1432;

    /// <summary>RFC 7440 windowsize; EDK2's UEFI PXE asks for 4, 1 sends no option.</summary>
    public int WindowSize { get; init; } = 4;

    /// <summary>First DHCP retransmission timeout; PXE ROMs use 4 s and double it.</summary>
    public TimeSpan DhcpTimeout { get; init; } = TimeSpan.FromSeconds(4);

    public int DhcpAttempts { get; init; } = 4;

    public int HttpAttempts { get; init; } = 3;

    public TimeSpan HttpTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Where to save each per-machine document as served (by URL path), for the stand-in's nginx.</summary>
    public string? RecordDirectory { get; init; }
}
