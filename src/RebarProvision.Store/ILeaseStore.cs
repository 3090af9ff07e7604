using RebarProvision.Model;

namespace RebarProvision.Store;

/// <summary>
/// Leases, in a table of their own. The database enforces one lease row per (subnet, address) and at most one
/// active (offered or bound) lease per token, so two nodes on one database can never hand one address out twice.
/// Every method that changes a lease is one transaction. The look-ups a DHCP exchange makes return
/// <see cref="ValueTask{TResult}"/>: the embedded store answers them from memory, without a task per call.
/// </summary>
public interface ILeaseStore
{
    ValueTask<Lease?> GetAsync(string addr, CancellationToken cancellationToken = default);

    /// <summary>The token's most recently updated lease in any state (its active one if it has one).</summary>
    ValueTask<Lease?> FindByTokenAsync(string token, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<Lease>> ListAsync(string? subnet = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes <see cref="Lease.Addr"/> for <see cref="Lease.Token"/> in one transaction when the address is free: it
    /// has no row, or its row is not active at <paramref name="now"/>, or its row already belongs to the token. Any
    /// other active lease of the token is ended (state expired) in the same transaction.
    /// </summary>
    /// <returns>The lease as stored, or null when another token holds the address.</returns>
    Task<Lease?> TryClaimAsync(Lease lease, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// Changes state and expiry of a lease the token holds (bind, renew, release, decline).
    /// </summary>
    /// <returns>The lease as stored, or null when the address's row is not the token's.</returns>
    Task<Lease?> TryUpdateAsync(Lease lease, CancellationToken cancellationToken = default);

    /// <summary>
    /// Up to <paramref name="max"/> addresses in [<paramref name="first"/>, <paramref name="last"/>] (host-order
    /// integers), lowest first, that have no lease row at all; empty when every address has one.
    /// </summary>
    /// <remarks>
    /// Reads the used addresses of the range in windows along the (subnet, addr_int) index, so its cost grows with
    /// the run of used addresses from <paramref name="first"/>. Allocating at a high rate, pass the picker's cursor
    /// (the address after the last one handed out) as <paramref name="first"/>, ask for a handful at a time, and wrap
    /// around to the range start when it comes back empty. What it returns is a hint: another node may claim one of
    /// them a moment later, and only the claim decides.
    /// </remarks>
    ValueTask<IReadOnlyList<uint>> FindUnusedAddressesAsync(string subnet, uint first, uint last, int max, CancellationToken cancellationToken = default);

    /// <summary>The subnet's lease that has been inactive (expired, released, or past its expiry) the longest.</summary>
    Task<Lease?> FindMostExpiredAsync(string subnet, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Marks offered/bound leases past their expiry as expired. Returns how many changed.</summary>
    Task<int> ExpireAsync(DateTimeOffset now, CancellationToken cancellationToken = default);

    Task<bool> DeleteAsync(string addr, CancellationToken cancellationToken = default);
}
