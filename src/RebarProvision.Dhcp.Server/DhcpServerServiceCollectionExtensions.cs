using Microsoft.Extensions.DependencyInjection;

namespace RebarProvision.Dhcp.Server;

/// <summary>How a host runs the DHCP server: it supplies the store, a TimeProvider and an <see cref="IUnknownMachines"/>.</summary>
public static class DhcpServerServiceCollectionExtensions
{
    public static IServiceCollection AddDhcpServer(this IServiceCollection services, DhcpServiceOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<DhcpMetrics>();
        services.AddSingleton<DhcpResponder>();
        services.AddHostedService<DhcpService>();
        return services;
    }
}
