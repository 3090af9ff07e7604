using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace RebarProvision.Dhcp.Server;

/// <summary>
/// How a host runs the DHCP server: it supplies the store, a TimeProvider and an <see cref="IUnknownMachines"/>, and,
/// when several nodes share the store, an <see cref="IDhcpPeers"/> (a lone node offers to everyone).
/// </summary>
public static class DhcpServerServiceCollectionExtensions
{
    public static IServiceCollection AddDhcpServer(this IServiceCollection services, DhcpServiceOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<DhcpMetrics>();
        services.TryAddSingleton<IDhcpPeers, LoneNode>();
        services.AddSingleton<DhcpResponder>();
        services.AddHostedService<DhcpService>();
        return services;
    }
}
