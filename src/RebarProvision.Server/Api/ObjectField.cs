using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using RebarProvision.Model;
using RebarProvision.Server.Secrets;

namespace RebarProvision.Server.Api;

/// <summary>
/// One top-level field of objects as the API shows it (camelCase name, read case-insensitively; no credential hash;
/// sealed values redacted), read from the typed object without serializing the rest of it. A list of 100,000
/// machines is filtered and sorted on these, and only the page that is answered is serialized whole. One instance
/// reads one field name for one query; the property is looked up once per object type.
/// </summary>
public sealed class ObjectField(string name)
{
    private Type? _type;
    private JsonPropertyInfo? _property;

    /// <returns>
    /// A string field as the string (most filters compare names and MACs: no node per object), any other as its
    /// JSON node, null when the API would not show the field.
    /// </returns>
    public object? Read(StoredObject value)
    {
        if (value.GetType() != _type)
        {
            _type = value.GetType();
            _property = Redaction.IsCredentialField(name)
                ? null
                : ModelJson.Options.GetTypeInfo(_type).Properties.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
        }
        if (_property?.Get is not { } get)
        {
            return null;
        }
        var field = get(value);
        if (field is null || _property.ShouldSerialize?.Invoke(value, field) == false)
        {
            return null;
        }
        return field as string ?? (object?)Redaction.RedactSealed(JsonSerializer.SerializeToNode(field, _property.PropertyType, ModelJson.Options));
    }
}
