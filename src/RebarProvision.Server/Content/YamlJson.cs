using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace RebarProvision.Server.Content;

/// <summary>
/// YAML ↔ JSON for content files and the import/export API. Plain YAML scalars keep their YAML 1.2 core type
/// (number, boolean, null); quoted ones stay strings. Multi-line strings are written as literal blocks.
/// </summary>
public static class YamlJson
{
    /// <summary>Reads every document of a YAML text.</summary>
    /// <exception cref="YamlException">The text is not YAML; the exception carries the line.</exception>
    public static List<JsonNode?> Read(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Select(d => ToJson(d.RootNode)).ToList();
    }

    public static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode mapping => new JsonObject(mapping.Children.Select(c =>
            KeyValuePair.Create(((YamlScalarNode)c.Key).Value ?? "", ToJson(c.Value)))),
        YamlSequenceNode sequence => new JsonArray([.. sequence.Children.Select(ToJson)]),
        YamlScalarNode scalar => Scalar(scalar),
        _ => null,
    };

    private static JsonValue? Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
        {
            return JsonValue.Create(text);
        }
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && text.Any(char.IsDigit))
        {
            return JsonValue.Create(real);
        }
        return JsonValue.Create(text);
    }

    public static string Write(JsonNode? node)
    {
        var stream = new YamlStream(new YamlDocument(ToYaml(node)));
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        stream.Save(writer, assignAnchors: false);
        var text = writer.ToString();
        // YamlStream ends each document with "...", which only adds noise to a single-document file.
        return text.EndsWith("...\n", StringComparison.Ordinal) ? text[..^4] : text;
    }

    private static YamlNode ToYaml(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                var mapping = new YamlMappingNode();
                foreach (var (key, value) in obj)
                {
                    mapping.Add(new YamlScalarNode(key), ToYaml(value));
                }
                return mapping;
            case JsonArray array:
                return new YamlSequenceNode(array.Select(ToYaml));
            case JsonValue value when value.GetValueKind() == System.Text.Json.JsonValueKind.String:
                var text = value.GetValue<string>();
                return new YamlScalarNode(text)
                {
                    Style = text.Contains('\n', StringComparison.Ordinal) ? ScalarStyle.Literal : NeedsQuotes(text) ? ScalarStyle.DoubleQuoted : ScalarStyle.Any,
                };
            case JsonValue value:
                return new YamlScalarNode(value.ToJsonString()) { Style = ScalarStyle.Plain };
            default:
                return new YamlScalarNode("null") { Style = ScalarStyle.Plain };
        }
    }

    /// <summary>A string that would read back as another type (a number, a boolean, null) must be quoted.</summary>
    private static bool NeedsQuotes(string text) => Scalar(new YamlScalarNode(text)) is not JsonValue v
        || v.GetValueKind() != System.Text.Json.JsonValueKind.String || text.Length == 0;
}
