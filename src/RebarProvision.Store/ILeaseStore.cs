using RebarProvision.Model;

namespace RebarProvision.Store;

/// <summary>
/// Leases, in a table of their own. The database enforces one lease row per (subnet, address) and at most one
/// active (offered or bound) lease per token, so two nodes on one database can never hand one address out twice.
/// Every method that changes a lease is one transaction.
/// </summary>
public interface ILeaseStore
{
    Task<Lease?> GetAsync(string addr, CancellationToken cancellationToken = default);

    /// <summary>The token's most recently updated lease in any state (its active one if it has one).</summary>
    Task<Lease?> FindByTokenAsync(string token, CancellationToken cancellationToken = default);

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
    /// The lowest address in [<paramref name="first"/>, <paramref name="last"/>] (host-order integers) that has no
    /// lease row at all, or null when every address has one.
    /// </summary>
    /// <remarks>
    /// One query walking the (subnet, addr_int) index from <paramref name="first"/> to the first gap, so its cost
    /// grows with the run of used addresses starting at <paramref name="first"/> (about 1 ms per few thousand on
    /// SQLite). Allocating at a high rate, pass the picker's cursor (the address after the last one handed out) as
    /// <paramref name="first"/> and wrap around to the range start when it returns null.
    /// </remarks>
    Task<uint?> FindUnusedAddressAsync(string subnet, uint first, uint last, CancellationToken cancellationToken = default);

    /// <summary>The subnet's lease that has been inactive (expired, released, or past its expiry) the longest.</summary>
    Task<Lease?> FindMostExpiredAsync(string subnet, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Marks offered/bound leases past their expiry as expired. Returns how many changed.</summary>
    Task<int> ExpireAsync(DateTimeOffset now, CancellationToken cancellationToken = default);

    Task<bool> DeleteAsync(string addr, CancellationToken cancellationToken = default);
}
