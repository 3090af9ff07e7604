using RebarProvision.Model;

namespace RebarProvision.Store;

/// <summary>Objects as both stores keep them: the JSON of <see cref="ModelJson"/>, read back as the kind's type.</summary>
internal static class ObjectDocuments
{
    public static StoredObject Read(ObjectKind kind, string body, long revision, DateTimeOffset createdAt, DateTimeOffset updatedAt)
    {
        var value = (StoredObject)ModelJson.Deserialize(body, kind.ClrType);
        value.Revision = revision;
        value.CreatedAt = createdAt;
        value.UpdatedAt = updatedAt;
        return value;
    }

    public static ObjectKind KindOf(StoredObject value) =>
        ObjectKind.Documents.FirstOrDefault(k => k.ClrType == value.GetType())
        ?? throw new ArgumentException($"{value.GetType().Name} is not a stored document kind", nameof(value));

    /// <summary>
    /// Stamps the object with what the store sets and returns its JSON; <see cref="Restore"/> undoes the stamp when
    /// the write fails, so a caller's object is only changed by a write that happened.
    /// </summary>
    public static (string Body, Stamp Previous) Stamp(StoredObject value, long revision, DateTimeOffset createdAt, DateTimeOffset updatedAt)
    {
        var previous = new Stamp(value.Revision, value.CreatedAt, value.UpdatedAt);
        value.Revision = revision;
        value.CreatedAt = createdAt;
        value.UpdatedAt = updatedAt;
        return (ModelJson.Serialize<object>(value), previous);
    }

    public static void Restore(StoredObject value, Stamp previous)
    {
        value.Revision = previous.Revision;
        value.CreatedAt = previous.CreatedAt;
        value.UpdatedAt = previous.UpdatedAt;
    }

    public static IReadOnlyList<UniqueValue> UniqueValues(StoredObject value) => value.UniqueValues().Distinct().ToList();

    public static StoreConflictException KeyTaken(ObjectKind kind, string key, Exception? inner = null) =>
        new($"{kind.Name} '{key}' already exists", "key", key, inner);

    public static StoreConflictException ValueTaken(ObjectKind kind, UniqueValue unique, Exception? inner = null) =>
        new($"{kind.Name}: {unique.Field} '{unique.Value}' is already taken", unique.Field, unique.Value, inner);
}

internal readonly record struct Stamp(long Revision, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
