using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RebarProvision.Rendering;

/// <summary>
/// Writes JSON values as block-style YAML for <c>to_yaml</c>. Strings that a YAML 1.1 reader could take for
/// something else (yes, no, on, 010, 1e3, ...) are double-quoted with JSON escapes, which YAML accepts as is.
/// </summary>
internal static class YamlText
{
    private static readonly JsonSerializerOptions StringOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
    };

    public static string Write(JsonNode? node)
    {
        var text = new StringBuilder();
        switch (node)
        {
            case JsonObject obj when obj.Count > 0:
                WriteObject(text, obj, 0);
                break;
            case JsonArray array when array.Count > 0:
                WriteArray(text, array, 0);
                break;
            default:
                text.Append(Scalar(node)).Append('\n');
                break;
        }
        return text.ToString();
    }

    private static void WriteObject(StringBuilder text, JsonObject obj, int indent)
    {
        foreach (var (key, value) in obj)
        {
            text.Append(' ', indent).Append(Quote(key)).Append(':');
            WriteChild(text, value, indent);
        }
    }

    private static void WriteArray(StringBuilder text, JsonArray array, int indent)
    {
        foreach (var value in array)
        {
            text.Append(' ', indent).Append('-');
            if (value is JsonObject { Count: > 0 } obj)
            {
                // The first key shares the dash's line; the rest align under it.
                var nested = new StringBuilder();
                WriteObject(nested, obj, indent + 2);
                text.Append(' ').Append(nested.ToString(indent + 2, nested.Length - indent - 2));
            }
            else
            {
                WriteChild(text, value, indent);
            }
        }
    }

    private static void WriteChild(StringBuilder text, JsonNode? value, int indent)
    {
        switch (value)
        {
            case JsonObject { Count: > 0 } obj:
                text.Append('\n');
                WriteObject(text, obj, indent + 2);
                break;
            case JsonArray { Count: > 0 } array:
                text.Append('\n');
                WriteArray(text, array, indent + 2);
                break;
            default:
                text.Append(' ').Append(Scalar(value)).Append('\n');
                break;
        }
    }

    private static string Scalar(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "{}",
        JsonArray => "[]",
        _ when node.GetValueKind() == JsonValueKind.String => Quote(node.GetValue<string>()),
        _ => node.ToJsonString(),
    };

    private static string Quote(string s)
    {
        var plain = s.Length > 0
            && !Reserved.Contains(s)
            && (char.IsAsciiLetter(s[0]) || s[0] == '_' || s[0] == '/')
            && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' || c is '-' || c is '.' || c is '/' || c is '@')
            && !double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
        return plain ? s : JsonSerializer.Serialize(s, StringOptions);
    }
}
