namespace RebarProvision.Server.Configuration;

/// <summary>
/// The server's settings (DESIGN §2), bound from the YAML file, then REBAR_* environment variables, then flags;
/// later sources win. Names here are the YAML keys; <see cref="Settings"/> maps flags and variables onto them.
/// </summary>
public sealed class ServerOptions
{
    public string DataDir { get; set; } = "";

    /// <summary>sqlite or postgres.</summary>
    public string Store { get; set; } = "sqlite";

    public string? Postgres { get; set; }

    /// <summary>Interfaces the DHCP service binds; empty switches DHCP off.</summary>
    public List<string> DhcpInterfaces { get; set; } = [];

    public int DhcpPort { get; set; } = 67;

    /// <summary>Seconds an OFFERed address is held for the client's REQUEST (short: offers are soft; see the DHCP server).</summary>
    public int DhcpOfferHoldSeconds { get; set; } = 15;

    /// <summary>Seconds an offer is safe from being taken back for another client: a client's time to REQUEST it.</summary>
    public int DhcpOfferGraceSeconds { get; set; } = 2;

    public int ProxyPort { get; set; } = 4011;

    /// <summary>0 switches TFTP off.</summary>
    public int TftpPort { get; set; } = 69;

    /// <summary>TFTP transfers one client address may run at once; more requests from it are dropped and counted.</summary>
    public int TftpMaxTransfersPerAddress { get; set; } = 16;

    /// <summary>0 switches HTTP boot off.</summary>
    public int HttpPort { get; set; } = 8091;

    /// <summary>0 switches the API off.</summary>
    public int ApiPort { get; set; } = 8092;

    public bool ApiTls { get; set; } = true;

    /// <summary>Address put into boot URLs; null means the address that received the request.</summary>
    public string? Advertise { get; set; }

    /// <summary>Listen address for TFTP, HTTP and the API; null means all.</summary>
    public string? Listen { get; set; }

    /// <summary>Folder with bootenvs/, templates/ and samples/ to load into an empty store.</summary>
    public string? Content { get; set; }

    public string Node { get; set; } = "";

    /// <summary>What PXE-booting machines the inventory does not know get: discovery or ignore.</summary>
    public string UnknownMachinePolicy { get; set; } = "discovery";

    /// <summary>Unknown machines created per second at most (the discovery rate limit).</summary>
    public int DiscoveryRatePerSecond { get; set; } = 20;

    /// <summary>Unknown machines that may be created in one burst before the rate limit applies.</summary>
    public int DiscoveryBurst { get; set; } = 200;

    /// <summary>Discovered machines nobody has claimed yet, at most; beyond it unknown machines are not booted (counted in rebar_discovery_refused).</summary>
    public int DiscoveryMaxUnclaimed { get; set; } = 1000;

    /// <summary>Discovered machines never claimed and unchanged this long are deleted (they are discovered again when they boot).</summary>
    public TimeSpan DiscoveryExpiry { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Folder holding the iPXE boot loaders (Debian's ipxe package installs them here).</summary>
    public string LoaderDir { get; set; } = "/usr/lib/ipxe";

    /// <summary>Largest image upload accepted, in bytes; a larger one is refused with 413.</summary>
    public long ImageSizeLimit { get; set; } = 64L << 30;

    /// <summary>The first admin's password (REBAR_ADMIN_PASSWORD); generated and printed once on first start when unset.</summary>
    public string? AdminPassword { get; set; }

    /// <summary>How long a machine may stay provisioning before it is marked failed; a machine's <c>provision/timeout</c> param (seconds) overrides.</summary>
    public TimeSpan ProvisionTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long events are kept; older ones are pruned every hour.</summary>
    public TimeSpan EventRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>console or json.</summary>
    public string LogFormat { get; set; } = "console";

    public string? LogFile { get; set; }

    public string LogLevel { get; set; } = "Information";

    public IEnumerable<string> Validate()
    {
        if (Store is not ("sqlite" or "postgres"))
        {
            yield return "store: must be sqlite or postgres";
        }
        if (Store == "postgres" && string.IsNullOrWhiteSpace(Postgres))
        {
            yield return "postgres: a connection string is required when store is postgres (--postgres or REBAR_POSTGRES)";
        }
        foreach (var (name, port) in new[] { ("dhcpPort", DhcpPort), ("proxyPort", ProxyPort), ("tftpPort", TftpPort), ("httpPort", HttpPort), ("apiPort", ApiPort) })
        {
            if (port is < 0 or > 65535)
            {
                yield return $"{name}: {port} is not a port number";
            }
        }
        if (TftpMaxTransfersPerAddress < 1)
        {
            yield return "tftpMaxTransfersPerAddress: must be at least 1";
        }
        if (DiscoveryMaxUnclaimed < 1)
        {
            yield return "discoveryMaxUnclaimed: must be at least 1";
        }
        if (DiscoveryRatePerSecond < 1 || DiscoveryBurst < 1)
        {
            yield return "discoveryRatePerSecond/discoveryBurst: must be at least 1";
        }
        if (UnknownMachinePolicy is not ("discovery" or "ignore"))
        {
            yield return "unknownMachinePolicy: must be discovery or ignore";
        }
        if (ImageSizeLimit < 1)
        {
            yield return "imageSizeLimit: must be at least 1 byte";
        }
        if (ProvisionTimeout <= TimeSpan.Zero)
        {
            yield return "provisionTimeout: must be positive (e.g. 01:00:00)";
        }
        if (EventRetention <= TimeSpan.Zero)
        {
            yield return "eventRetention: must be positive (e.g. 7.00:00:00)";
        }
        if (LogFormat is not ("console" or "json"))
        {
            yield return "logFormat: must be console or json";
        }
        if (Advertise is not null && !System.Net.IPAddress.TryParse(Advertise, out _))
        {
            yield return $"advertise: '{Advertise}' is not an IP address";
        }
        if (Listen is not null && !System.Net.IPAddress.TryParse(Listen, out _))
        {
            yield return $"listen: '{Listen}' is not an IP address";
        }
    }
}
