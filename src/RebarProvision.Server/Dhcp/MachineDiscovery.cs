using System.Collections.Concurrent;
using RebarProvision.Dhcp;
using RebarProvision.Model;
using RebarProvision.Store;

namespace RebarProvision.Server.Dhcp;

/// <summary>
/// The unknown-machine policy (DESIGN §4 step 2): "discovery" creates a discovered machine on its first PXE boot,
/// at most a token bucket's worth per second so a flood of random MACs cannot fill the store; "ignore" leaves
/// unknown machines without boot options.
/// </summary>
internal sealed class MachineDiscovery(IStore store, DhcpServiceOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, bool> _known = new(StringComparer.Ordinal);
    private readonly TokenBucket _creations = new(options.DiscoveryRatePerSecond, Math.Max(1, options.DiscoveryRatePerSecond * 10));
    private readonly Lock _bucketLock = new();

    public bool CreatesMachines => options.UnknownMachinePolicy == "discovery";

    /// <summary>Whether the machine gets PXE boot options; creates it first when the policy says so.</summary>
    public async ValueTask<bool> ShouldBootAsync(string mac, PxeClient client, CancellationToken cancellationToken)
    {
        if (_known.ContainsKey(mac))
        {
            return true;
        }
        if (await store.Objects.FindMachineByMacAsync(mac, cancellationToken) is not null)
        {
            _known[mac] = true;
            return true;
        }
        if (!CreatesMachines)
        {
            return false;
        }
        bool allowed;
        lock (_bucketLock)
        {
            allowed = _creations.TryTake(time.GetUtcNow());
        }
        if (allowed)
        {
            await CreateAsync(mac, client, cancellationToken);
        }
        // A rate-limited client still boots into discovery; it is created on a later packet.
        return true;
    }

    private async Task CreateAsync(string mac, PxeClient client, CancellationToken cancellationToken)
    {
        var machine = new Machine
        {
            Name = "d" + mac.Replace(":", "", StringComparison.Ordinal),
            HardwareAddrs = [mac],
            Arch = client.IsArm64 ? "arm64" : "amd64",
            ClientUuid = client.ClientUuid,
            State = MachineState.Discovered,
            BootEnv = "discovery",
            LastBootAt = time.GetUtcNow(),
        };
        machine.Normalize();
        try
        {
            await store.Objects.CreateAsync(machine, cancellationToken);
        }
        catch (StoreConflictException)
        {
            // Another node (or an operator) created it meanwhile: it is known either way.
        }
        _known[mac] = true;
    }
}
