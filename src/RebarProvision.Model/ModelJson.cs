using System.Text.Json;
using System.Text.Json.Serialization;

namespace RebarProvision.Model;

/// <summary>The one JSON shape of the model: camelCase names (read case-insensitively), enums as camelCase strings.</summary>
public static class ModelJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Deserialize<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new JsonException("JSON document is null");

    public static object Deserialize(string json, Type type) =>
        JsonSerializer.Deserialize(json, type, Options) ?? throw new JsonException("JSON document is null");
}
