using System.Diagnostics.Metrics;
using RebarProvision.Server.Boot;
using RebarProvision.Server.Configuration;
using RebarProvision.Server.Events;
using RebarProvision.Server.Machines;
using RebarProvision.Server.Objects;
using RebarProvision.Server.Secrets;
using RebarProvision.Store;

namespace RebarProvision.Dhcp.Integration.Tests;

/// <summary>The unknown-machine path the server runs (<see cref="Discovery"/> on the inventory and its object cache), on a test's store.</summary>
internal static class ServerDiscovery
{
    public static async Task<Discovery> CreateAsync(IStore store, TimeProvider time, IMeterFactory meters, string policy = "discovery", int ratePerSecond = 20, int burst = 200, int maxUnclaimed = 1000) =>
        new(await InventoryAsync(store, time), new ServerOptions { UnknownMachinePolicy = policy, DiscoveryRatePerSecond = ratePerSecond, DiscoveryBurst = burst, DiscoveryMaxUnclaimed = maxUnclaimed }, meters);

    /// <summary>The inventory the server runs on the test's store, with its object cache loaded.</summary>
    public static async Task<Inventory> InventoryAsync(IStore store, TimeProvider time)
    {
        var cache = new ObjectCache();
        await cache.LoadAsync(store);
        var secrets = new SecureParams(new byte[32]);
        return new Inventory(store, new EventBus(store, time), cache, secrets, new BootSecrets(secrets), time);
    }
}
