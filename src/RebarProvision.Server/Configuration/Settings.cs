namespace RebarProvision.Server.Configuration;

/// <summary>
/// The stable configuration surface (DESIGN §2): each setting's YAML key, command-line flag and environment
/// variable. Scripts, containers and tests rely on these names.
/// </summary>
public static class Settings
{
    public sealed record Setting(string Key, string Flag, string Environment, bool IsSwitch = false);

    public static IReadOnlyList<Setting> All { get; } =
    [
        new("config", "--config", "REBAR_CONFIG"),
        new(nameof(ServerOptions.DataDir), "--data-dir", "REBAR_DATA_DIR"),
        new(nameof(ServerOptions.Store), "--store", "REBAR_STORE"),
        new(nameof(ServerOptions.Postgres), "--postgres", "REBAR_POSTGRES"),
        new(nameof(ServerOptions.DhcpInterfaces), "--dhcp-interfaces", "REBAR_DHCP_INTERFACES"),
        new(nameof(ServerOptions.DhcpPort), "--dhcp-port", "REBAR_DHCP_PORT"),
        new(nameof(ServerOptions.DhcpOfferHoldSeconds), "--dhcp-offer-hold-seconds", "REBAR_DHCP_OFFER_HOLD_SECONDS"),
        new(nameof(ServerOptions.DhcpOfferGraceSeconds), "--dhcp-offer-grace-seconds", "REBAR_DHCP_OFFER_GRACE_SECONDS"),
        new(nameof(ServerOptions.ProxyPort), "--proxy-port", "REBAR_PROXY_PORT"),
        new(nameof(ServerOptions.TftpPort), "--tftp-port", "REBAR_TFTP_PORT"),
        new(nameof(ServerOptions.TftpMaxTransfersPerAddress), "--tftp-max-per-address", "REBAR_TFTP_MAX_PER_ADDRESS"),
        new(nameof(ServerOptions.HttpPort), "--http-port", "REBAR_HTTP_PORT"),
        new(nameof(ServerOptions.ApiPort), "--api-port", "REBAR_API_PORT"),
        new(nameof(ServerOptions.ApiTls), "--api-tls", "REBAR_API_TLS"),
        new(nameof(ServerOptions.Advertise), "--advertise", "REBAR_ADVERTISE"),
        new(nameof(ServerOptions.Listen), "--listen", "REBAR_LISTEN"),
        new(nameof(ServerOptions.Content), "--content", "REBAR_CONTENT"),
        new(nameof(ServerOptions.Node), "--node", "REBAR_NODE"),
        new(nameof(ServerOptions.UnknownMachinePolicy), "--unknown-machine-policy", "REBAR_UNKNOWN_MACHINE_POLICY"),
        new(nameof(ServerOptions.DiscoveryRatePerSecond), "--discovery-rate", "REBAR_DISCOVERY_RATE"),
        new(nameof(ServerOptions.DiscoveryBurst), "--discovery-burst", "REBAR_DISCOVERY_BURST"),
        new(nameof(ServerOptions.DiscoveryMaxUnclaimed), "--discovery-max-unclaimed", "REBAR_DISCOVERY_MAX_UNCLAIMED"),
        new(nameof(ServerOptions.DiscoveryExpiry), "--discovery-expiry", "REBAR_DISCOVERY_EXPIRY"),
        new(nameof(ServerOptions.LoaderDir), "--loader-dir", "REBAR_LOADER_DIR"),
        new(nameof(ServerOptions.ImageSizeLimit), "--image-size-limit", "REBAR_IMAGE_SIZE_LIMIT"),
        new(nameof(ServerOptions.AdminPassword), "--admin-password", "REBAR_ADMIN_PASSWORD"),
        new(nameof(ServerOptions.ProvisionTimeout), "--provision-timeout", "REBAR_PROVISION_TIMEOUT"),
        new(nameof(ServerOptions.EventRetention), "--event-retention", "REBAR_EVENT_RETENTION"),
        new(nameof(ServerOptions.LogFormat), "--log-format", "REBAR_LOG_FORMAT"),
        new(nameof(ServerOptions.LogFile), "--log-file", "REBAR_LOG_FILE"),
        new(nameof(ServerOptions.LogLevel), "--log-level", "REBAR_LOG_LEVEL"),
    ];

    public static Setting? FindFlag(string flag) => All.FirstOrDefault(s => s.Flag == flag);
}
