using RebarProvision.Model;

namespace RebarProvision.Store;

/// <summary>
/// Inventory objects stored as JSON documents, keyed by (kind, key), with their unique fields
/// (<see cref="StoredObject.UniqueValues"/>) enforced by the database. Every write sets a new, store-wide
/// increasing <see cref="StoredObject.Revision"/> and the timestamps, and returns the object as stored.
/// </summary>
public interface IObjectStore
{
    Task<StoredObject?> GetAsync(ObjectKind kind, string key, CancellationToken cancellationToken = default);

    /// <summary>All objects of a kind, ordered by key.</summary>
    Task<IReadOnlyList<StoredObject>> ListAsync(ObjectKind kind, CancellationToken cancellationToken = default);

    Task<long> CountAsync(ObjectKind kind, CancellationToken cancellationToken = default);

    /// <summary>The key of the object whose unique field has the value, e.g. the machine with a MAC.</summary>
    Task<string?> FindKeyAsync(ObjectKind kind, string field, string value, CancellationToken cancellationToken = default);

    /// <exception cref="StoreConflictException">The key or a unique value is taken.</exception>
    Task<StoredObject> CreateAsync(StoredObject value, CancellationToken cancellationToken = default);

    /// <summary>Replaces the object with the same key. <paramref name="expectedRevision"/> null means unconditional.</summary>
    /// <exception cref="StoreNotFoundException">No object has the key.</exception>
    /// <exception cref="StorePreconditionFailedException">The stored revision differs from the expected one.</exception>
    /// <exception cref="StoreConflictException">A unique value is taken by another object.</exception>
    Task<StoredObject> UpdateAsync(StoredObject value, long? expectedRevision, CancellationToken cancellationToken = default);

    /// <exception cref="StoreNotFoundException">No object has the key.</exception>
    /// <exception cref="StorePreconditionFailedException">The stored revision differs from the expected one.</exception>
    Task<StoredObject> DeleteAsync(ObjectKind kind, string key, long? expectedRevision, CancellationToken cancellationToken = default);
}
