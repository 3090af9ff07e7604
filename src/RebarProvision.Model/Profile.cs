using System.Text.Json.Nodes;

namespace RebarProvision.Model;

/// <summary>A named set of params shared by machines. The profile named <c>global</c> applies to every machine.</summary>
public sealed class Profile : StoredObject
{
    public const string GlobalName = "global";

    protected override string KeyValue => Name;

    public string Name { get; set; } = "";

    public string? Description { get; set; }

    public Dictionary<string, JsonNode?> Params { get; set; } = new(StringComparer.Ordinal);

    public override IEnumerable<FieldError> Validate() => Names.Check("name", Name);
}
