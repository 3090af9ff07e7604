using System.Text.Json.Nodes;

namespace RebarProvision.Cli.Output;

/// <summary>One column of a table: its header and how to show the cell from an object's JSON.</summary>
public sealed record TableColumn(string Header, Func<JsonObject, string> Cell)
{
    /// <summary>A column showing a field (dotted for nested ones, e.g. <c>schema.type</c>); lists are joined with commas.</summary>
    public static TableColumn Field(string header, string path) => new(header, item => Text(Find(item, path)));

    public static JsonNode? Find(JsonObject item, string path)
    {
        JsonNode? node = item;
        foreach (var part in path.Split('.'))
        {
            node = node is JsonObject obj ? obj[part] : null;
        }
        return node;
    }

    public static string Text(JsonNode? node) => node switch
    {
        null => "",
        JsonArray array => string.Join(",", array.Select(Text)),
        JsonValue value => value.ToString(),
        _ => node.ToJsonString(),
    };
}
