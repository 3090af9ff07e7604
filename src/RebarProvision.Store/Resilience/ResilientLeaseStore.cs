using RebarProvision.Model;

namespace RebarProvision.Store.Resilience;

internal sealed class ResilientLeaseStore(ILeaseStore inner, StoreGuard guard) : ILeaseStore
{
    public ValueTask<Lease?> GetAsync(string addr, CancellationToken cancellationToken = default) =>
        guard.ReadAsync(static (s, ct) => s.inner.GetAsync(s.addr, ct), (inner, addr), cancellationToken);

    public ValueTask<Lease?> FindByTokenAsync(string token, CancellationToken cancellationToken = default) =>
        guard.ReadAsync(static (s, ct) => s.inner.FindByTokenAsync(s.token, ct), (inner, token), cancellationToken);

    public Task<IReadOnlyList<Lease>> ListAsync(string? subnet = null, CancellationToken cancellationToken = default) =>
        guard.ReadAsync(static (s, ct) => new ValueTask<IReadOnlyList<Lease>>(s.inner.ListAsync(s.subnet, ct)), (inner, subnet), cancellationToken).AsTask();

    public Task<Lease?> TryClaimAsync(Lease lease, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        guard.IdempotentWriteAsync(static (s, ct) => new ValueTask<Lease?>(s.inner.TryClaimAsync(s.lease, s.now, ct)), (inner, lease, now), cancellationToken).AsTask();

    public Task<Lease?> TryUpdateAsync(Lease lease, CancellationToken cancellationToken = default) =>
        guard.IdempotentWriteAsync(static (s, ct) => new ValueTask<Lease?>(s.inner.TryUpdateAsync(s.lease, ct)), (inner, lease), cancellationToken).AsTask();

    public ValueTask<IReadOnlyList<uint>> FindUnusedAddressesAsync(string subnet, uint first, uint last, int max, CancellationToken cancellationToken = default) =>
        guard.ReadAsync(static (s, ct) => s.inner.FindUnusedAddressesAsync(s.subnet, s.first, s.last, s.max, ct), (inner, subnet, first, last, max), cancellationToken);

    public Task<Lease?> FindMostExpiredAsync(string subnet, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        guard.ReadAsync(static (s, ct) => new ValueTask<Lease?>(s.inner.FindMostExpiredAsync(s.subnet, s.now, ct)), (inner, subnet, now), cancellationToken).AsTask();

    public Task<int> ExpireAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        guard.IdempotentWriteAsync(static (s, ct) => new ValueTask<int>(s.inner.ExpireAsync(s.now, ct)), (inner, now), cancellationToken).AsTask();

    public Task<bool> DeleteAsync(string addr, CancellationToken cancellationToken = default) =>
        guard.WriteAsync(static (s, ct) => new ValueTask<bool>(s.inner.DeleteAsync(s.addr, ct)), (inner, addr), cancellationToken).AsTask();
}
