using RebarProvision.Model;

namespace RebarProvision.Store.Resilience;

internal sealed class ResilientLeaseStore(ILeaseStore inner, StoreGuard guard) : ILeaseStore
{
    public Task<Lease?> GetAsync(string addr, CancellationToken cancellationToken = default) =>
        guard.ReadAsync(ct => inner.GetAsync(addr, ct), cancellationToken);

    public Task<Lease?> FindByTokenAsync(string token, CancellationToken cancellationToken = default) =>
        guard.ReadAsync(ct => inner.FindByTokenAsync(token, ct), cancellationToken);

    public Task<IReadOnlyList<Lease>> ListAsync(string? subnet = null, CancellationToken cancellationToken = default) =>
        guard.ReadAsync(ct => inner.ListAsync(subnet, ct), cancellationToken);

    public Task<Lease?> TryClaimAsync(Lease lease, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        guard.IdempotentWriteAsync(ct => inner.TryClaimAsync(lease, now, ct), cancellationToken);

    public Task<Lease?> TryUpdateAsync(Lease lease, CancellationToken cancellationToken = default) =>
        guard.IdempotentWriteAsync(ct => inner.TryUpdateAsync(lease, ct), cancellationToken);

    public Task<IReadOnlyList<uint>> FindUnusedAddressesAsync(string subnet, uint first, uint last, int max, CancellationToken cancellationToken = default) =>
        guard.ReadAsync(ct => inner.FindUnusedAddressesAsync(subnet, first, last, max, ct), cancellationToken);

    public Task<Lease?> FindMostExpiredAsync(string subnet, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        guard.ReadAsync(ct => inner.FindMostExpiredAsync(subnet, now, ct), cancellationToken);

    public Task<int> ExpireAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        guard.IdempotentWriteAsync(ct => inner.ExpireAsync(now, ct), cancellationToken);

    public Task<bool> DeleteAsync(string addr, CancellationToken cancellationToken = default) =>
        guard.WriteAsync(ct => inner.DeleteAsync(addr, ct), cancellationToken);
}
