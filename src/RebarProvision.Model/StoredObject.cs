using System.Text.Json.Serialization;

namespace RebarProvision.Model;

/// <summary>
/// What every inventory object carries: its timestamps, a store-wide monotonically increasing revision used as the
/// ETag, free-form labels, and whether the object is valid (an object may be stored while invalid and say why).
/// </summary>
public abstract class StoredObject
{
    /// <summary>The object's unique key within its kind (a machine's uuid, a subnet's name, a lease's address).</summary>
    [JsonIgnore]
    public string Key => KeyValue;

    /// <summary>The field that is the key; protected so it is not serialised a second time.</summary>
    protected abstract string KeyValue { get; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public long Revision { get; set; }

    public Dictionary<string, string> Meta { get; set; } = new(StringComparer.Ordinal);

    public bool Validated { get; set; } = true;

    public List<string> Errors { get; set; } = [];

    /// <summary>Structural checks: an object failing them is refused (HTTP 400), never stored.</summary>
    public abstract IEnumerable<FieldError> Validate();

    /// <summary>A deep copy, for changing an object that others may be reading (e.g. one from a cache).</summary>
    public T CloneAs<T>() where T : StoredObject =>
        (T)ModelJson.Deserialize(System.Text.Json.JsonSerializer.Serialize(this, GetType(), ModelJson.Options), GetType());

    /// <summary>Fields that must be unique across all objects of the kind besides the key (e.g. a machine's MACs).</summary>
    public virtual IEnumerable<UniqueValue> UniqueValues() => [];
}
