using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Reflection;
using RebarProvision.Server.Configuration;
using RebarProvision.Store;

namespace RebarProvision.Server.Cluster;

/// <summary>
/// How this node describes itself in its heartbeat: its name, the URLs other nodes and booting machines reach it
/// at (the advertised address, else the listen address, else its first non-loopback IPv4 address), every IPv4
/// address it has (a DHCP server identifier names one of them), and its version.
/// </summary>
public sealed class SelfNode
{
    public SelfNode(ServerOptions options, TimeProvider time)
    {
        Name = options.Node;
        StartedAt = time.GetUtcNow();
        var addresses = LocalAddresses();
        var host = options.Advertise
            ?? (options.Listen is { } listen && !IPAddress.Parse(listen).Equals(IPAddress.Any) ? listen : null)
            ?? addresses.FirstOrDefault()
            ?? "127.0.0.1";
        ApiUrl = options.ApiPort == 0 ? "" : $"{(options.ApiTls ? "https" : "http")}://{host}:{options.ApiPort}";
        BootUrl = options.HttpPort == 0 ? "" : $"http://{host}:{options.HttpPort}";
        Addresses = addresses.Contains(host) ? addresses : [host, .. addresses];
        Version = typeof(SelfNode).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
    }

    public string Name { get; }

    public DateTimeOffset StartedAt { get; }

    public string ApiUrl { get; }

    public string BootUrl { get; }

    public IReadOnlyList<string> Addresses { get; }

    public string Version { get; }

    /// <summary>The row this node writes; LastSeen and Live are the database's to decide.</summary>
    public ClusterNode Describe(bool singleton, DateTimeOffset now) =>
        new(Name, ApiUrl, BootUrl, Addresses, Version, StartedAt, now, singleton, Live: true);

    private static List<string> LocalAddresses()
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .Where(i => i.OperationalStatus == OperationalStatus.Up && i.NetworkInterfaceType != NetworkInterfaceType.Loopback)
                .SelectMany(i => i.GetIPProperties().UnicastAddresses)
                .Where(a => a.Address.AddressFamily == AddressFamily.InterNetwork)
                .Select(a => a.Address.ToString())
                .Distinct()
                .ToList();
        }
        catch (NetworkInformationException)
        {
            return [];
        }
    }
}
