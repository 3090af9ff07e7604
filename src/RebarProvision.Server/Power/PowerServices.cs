namespace RebarProvision.Server.Power;

/// <summary>Registers <see cref="PowerControl"/> with the IPMI and Redfish drivers.</summary>
public static class PowerServices
{
    /// <summary>How long a BMC may take to answer one power action.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static IServiceCollection AddPowerControl(this IServiceCollection services)
    {
        services.AddSingleton<IPowerDriver>(new IpmiPowerDriver(Timeout));
        services.AddSingleton<IPowerDriver>(new RedfishPowerDriver(Timeout));
        services.AddSingleton<PowerControl>();
        return services;
    }
}
