using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using RebarProvision.Model;
using Scriban.Runtime;

namespace RebarProvision.Rendering;

/// <summary>
/// Moves values between JSON and Scriban. Templates only ever see ScriptObject/ScriptArray/string/long/double/bool
/// built from JSON, never a CLR object, so Scriban's reflection-based member access has nothing to reflect on.
/// </summary>
internal static class ScriptValues
{
    public static ScriptObject FromModel<T>(T value, bool frozen = false) =>
        FromJson(JsonSerializer.SerializeToNode(value, ModelJson.Options), frozen) as ScriptObject ?? new ScriptObject();

    /// <param name="node">The JSON value.</param>
    /// <param name="frozen">Make every object and array read-only, so the result can be shared between renders.</param>
    public static object? FromJson(JsonNode? node, bool frozen = false)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject obj:
                var result = new ScriptObject(obj.Count);
                foreach (var (key, child) in obj)
                {
                    result[key] = FromJson(child, frozen);
                }
                result.IsReadOnly = frozen;
                return result;
            case JsonArray array:
                var list = new FrozenScriptArray(array.Count);
                foreach (var child in array)
                {
                    list.Add(FromJson(child, frozen));
                }
                if (frozen)
                {
                    list.Freeze();
                }
                return list;
            default:
                var value = (JsonValue)node;
                return value.GetValueKind() switch
                {
                    JsonValueKind.String => value.GetValue<string>(),
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    JsonValueKind.Number => value.TryGetValue<long>(out var l) ? l
                        : value.TryGetValue<int>(out var i) ? i
                        : value.TryGetValue<double>(out var d) ? d
                        : double.Parse(value.ToJsonString(), CultureInfo.InvariantCulture),
                    _ => null,
                };
        }
    }
}
