using System.Text.Json;
using System.Text.Json.Nodes;
using RebarProvision.Server.Content;

namespace RebarProvision.Cli.Output;

/// <summary>Writes API objects to stdout as a table, indented JSON or YAML.</summary>
public sealed class OutputWriter(TextWriter output, OutputFormat format)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public OutputFormat Format { get; } = format;

    public TextWriter Text { get; } = output;

    /// <summary>A list: a table of the kind's columns, a JSON array, or a YAML sequence.</summary>
    public void WriteList(JsonArray items, IReadOnlyList<TableColumn> columns)
    {
        switch (Format)
        {
            case OutputFormat.Table:
                Table.Write(Text, columns, items.OfType<JsonObject>());
                break;
            default:
                WriteDocument(items);
                break;
        }
    }

    /// <summary>One object: a one-row table, or the whole object as JSON or YAML.</summary>
    public void WriteObject(JsonNode item, IReadOnlyList<TableColumn> columns)
    {
        if (Format == OutputFormat.Table && item is JsonObject obj)
        {
            Table.Write(Text, columns, [obj]);
            return;
        }
        WriteDocument(item);
    }

    public void WriteDocument(JsonNode? document)
    {
        if (Format == OutputFormat.Yaml)
        {
            Text.Write(YamlJson.Write(document));
        }
        else
        {
            Text.WriteLine(document?.ToJsonString(Indented) ?? "null");
        }
    }
}
