using System.Text.Json;
using System.Text.Json.Nodes;
using RebarProvision.Model;
using RebarProvision.Server.Api;
using RebarProvision.Server.Objects;

namespace RebarProvision.Server.Content;

/// <summary>
/// A set of inventory objects grouped by kind, the form operators keep in git and move with import/export:
/// <code>
/// profiles:
///   - name: global
///     params: { ntp-servers: [10.0.0.1] }
/// subnets:
///   - name: rack1
///     cidr: 10.0.0.0/24
/// </code>
/// </summary>
public sealed class ContentBundle
{
    /// <summary>The order objects are imported in: what others refer to comes first.</summary>
    public static readonly ObjectKind[] ImportOrder =
    [
        ObjectKind.Templates, ObjectKind.Params, ObjectKind.Profiles, ObjectKind.BootEnvs,
        ObjectKind.Subnets, ObjectKind.Reservations, ObjectKind.Machines,
    ];

    public List<StoredObject> Objects { get; } = [];

    /// <summary>Reads a bundle from parsed YAML or JSON; every problem names its place, e.g. <c>subnets[2].cidr</c>.</summary>
    /// <exception cref="ValidationFailedException">The document is not a bundle of known kinds and valid objects.</exception>
    public static ContentBundle FromJson(JsonNode? document, string source)
    {
        if (document is not JsonObject root)
        {
            throw new ValidationFailedException(source, "a content bundle is a mapping from kinds (machines, profiles, ...) to lists of objects");
        }
        var bundle = new ContentBundle();
        foreach (var (name, items) in root)
        {
            var kind = ObjectKind.Find(name);
            if (kind is null || !ImportOrder.Contains(kind))
            {
                throw new ValidationFailedException($"{source}: {name}", $"is not an importable kind ({string.Join(", ", ImportOrder.Select(k => k.Name))})");
            }
            if (items is not JsonArray array)
            {
                throw new ValidationFailedException($"{source}: {name}", "must be a list");
            }
            for (var i = 0; i < array.Count; i++)
            {
                bundle.Objects.Add(ReadObject(kind, array[i], $"{source}: {name}[{i}]"));
            }
        }
        return bundle;
    }

    public static StoredObject ReadObject(ObjectKind kind, JsonNode? node, string place)
    {
        try
        {
            return (StoredObject)(node.Deserialize(kind.ClrType, ApiJson.Strict)
                ?? throw new ValidationFailedException(place, "is empty"));
        }
        catch (JsonException e)
        {
            throw new ValidationFailedException($"{place}.{ProblemFilter.FieldOf(e.Path)}", e.Message.Split(" Path:", 2)[0]);
        }
    }

    public JsonObject ToJson()
    {
        var root = new JsonObject();
        foreach (var group in Objects.GroupBy(Inventory.KindOf).OrderBy(g => Array.IndexOf(ImportOrder, g.Key)))
        {
            root[group.Key.Name] = new JsonArray([.. group.Select(o => JsonSerializer.SerializeToNode(o, o.GetType(), ModelJson.Options))]);
        }
        return root;
    }
}
