using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace RebarProvision.Model;

/// <summary>The subset of JSON Schema a param declares: type, default, enum, pattern and numeric bounds.</summary>
public sealed class ParamSchema
{
    /// <summary>string, integer, number, boolean, array or object; null accepts anything.</summary>
    public string? Type { get; set; }

    public JsonNode? Default { get; set; }

    public List<JsonNode?>? Enum { get; set; }

    public string? Pattern { get; set; }

    public double? Minimum { get; set; }

    public double? Maximum { get; set; }

    private static readonly string[] KnownTypes = ["string", "integer", "number", "boolean", "array", "object"];

    public IEnumerable<FieldError> ValidateSchema(string prefix)
    {
        if (Type is not null && !KnownTypes.Contains(Type))
        {
            yield return new FieldError($"{prefix}.type", $"must be one of {string.Join(", ", KnownTypes)}");
        }
        if (Pattern is not null && !IsValidRegex(Pattern))
        {
            yield return new FieldError($"{prefix}.pattern", "is not a valid regular expression");
        }
        if (Default is not null)
        {
            foreach (var error in Check(prefix + ".default", Default))
            {
                yield return error;
            }
        }
    }

    /// <summary>Checks one value against the schema; every failure names <paramref name="field"/>.</summary>
    public IEnumerable<FieldError> Check(string field, JsonNode? value)
    {
        if (value is null)
        {
            yield break;
        }
        if (Type is not null && !HasType(value, Type))
        {
            yield return new FieldError(field, $"must be of type {Type}");
            yield break;
        }
        if (Enum is { Count: > 0 } && !Enum.Any(e => JsonNode.DeepEquals(e, value)))
        {
            yield return new FieldError(field, $"must be one of {string.Join(", ", Enum.Select(e => e?.ToJsonString() ?? "null"))}");
        }
        if (Pattern is not null && value is JsonValue v && v.TryGetValue<string>(out var s) && IsValidRegex(Pattern)
            && !Regex.IsMatch(s, Pattern, RegexOptions.None, TimeSpan.FromMilliseconds(100)))
        {
            yield return new FieldError(field, $"must match {Pattern}");
        }
        if (TryGetNumber(value, out var d))
        {
            if (Minimum is { } min && d < min)
            {
                yield return new FieldError(field, $"must be at least {min}");
            }
            if (Maximum is { } max && d > max)
            {
                yield return new FieldError(field, $"must be at most {max}");
            }
        }
    }

    private static bool HasType(JsonNode value, string type) => type switch
    {
        "string" => value.GetValueKind() == System.Text.Json.JsonValueKind.String,
        "integer" => TryGetNumber(value, out var d) && Math.Floor(d) == d,
        "number" => value.GetValueKind() == System.Text.Json.JsonValueKind.Number,
        "boolean" => value.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False,
        "array" => value is JsonArray,
        "object" => value is JsonObject,
        _ => true,
    };

    /// <summary>Any JSON number as a double, whatever CLR type the node was built from.</summary>
    private static bool TryGetNumber(JsonNode value, out double number)
    {
        number = 0;
        return value.GetValueKind() == System.Text.Json.JsonValueKind.Number
            && double.TryParse(value.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out number);
    }

    private static bool IsValidRegex(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromMilliseconds(100));
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
