using System.Text.Json.Nodes;

namespace RebarProvision.Server.Api;

/// <summary>
/// RFC 6902 JSON Patch over a <see cref="JsonNode"/> document: add, remove, replace, move, copy and test, with
/// RFC 6901 pointers. The whole patch applies or none of it does (the caller patches a copy).
/// </summary>
public static class JsonPatch
{
    /// <exception cref="ValidationFailedException">An operation is malformed, its path is missing, or a test fails.</exception>
    public static JsonNode Apply(JsonNode document, JsonArray operations)
    {
        var root = new JsonObject { ["doc"] = document.DeepClone() };
        for (var i = 0; i < operations.Count; i++)
        {
            var field = $"[{i}]";
            if (operations[i] is not JsonObject op)
            {
                throw new ValidationFailedException(field, "an operation must be an object");
            }
            var name = Text(op, "op", field);
            var path = Text(op, "path", field);
            switch (name)
            {
                case "add":
                    Add(root, path, Value(op, field), field);
                    break;
                case "remove":
                    Remove(root, path, field);
                    break;
                case "replace":
                    Remove(root, path, field);
                    Add(root, path, Value(op, field), field);
                    break;
                case "move":
                    {
                        var from = Text(op, "from", field);
                        if (path.StartsWith(from + "/", StringComparison.Ordinal))
                        {
                            throw new ValidationFailedException($"{field}.from", "cannot move a value into itself");
                        }
                        var value = Remove(root, from, field);
                        Add(root, path, value, field);
                        break;
                    }
                case "copy":
                    Add(root, path, Get(root, Text(op, "from", field), field)?.DeepClone(), field);
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Get(root, path, field), Value(op, field)))
                    {
                        throw new ValidationFailedException($"{field}.value", $"test failed: {path} does not hold the expected value");
                    }
                    break;
                default:
                    throw new ValidationFailedException($"{field}.op", $"'{name}' is not add, remove, replace, move, copy or test");
            }
        }
        return root["doc"]!;
    }

    private static string Text(JsonObject op, string name, string field) =>
        op[name] is JsonValue v && v.TryGetValue<string>(out var s)
            ? s
            : throw new ValidationFailedException($"{field}.{name}", "is required and must be a string");

    private static JsonNode? Value(JsonObject op, string field) =>
        op.ContainsKey("value") ? op["value"]?.DeepClone() : throw new ValidationFailedException($"{field}.value", "is required");

    private static (JsonNode Parent, string Token) Resolve(JsonObject root, string pointer, string field)
    {
        if (pointer.Length > 0 && pointer[0] != '/')
        {
            throw new ValidationFailedException($"{field}.path", $"'{pointer}' is not a JSON pointer");
        }
        var tokens = ("/doc" + pointer).Split('/').Skip(1).Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
        JsonNode current = root;
        foreach (var token in tokens[..^1])
        {
            current = Child(current, token) ?? throw new ValidationFailedException($"{field}.path", $"{pointer} does not exist");
        }
        return (current, tokens[^1]);
    }

    private static JsonNode? Child(JsonNode node, string token) => node switch
    {
        JsonObject o => o.TryGetPropertyValue(token, out var child) ? child : null,
        JsonArray a when int.TryParse(token, out var index) && index >= 0 && index < a.Count => a[index],
        _ => null,
    };

    private static JsonNode? Get(JsonObject root, string pointer, string field)
    {
        var (parent, token) = Resolve(root, pointer, field);
        return parent switch
        {
            JsonObject o when o.TryGetPropertyValue(token, out var value) => value,
            JsonArray a when int.TryParse(token, out var i) && i >= 0 && i < a.Count => a[i],
            _ => throw new ValidationFailedException($"{field}.path", $"{pointer} does not exist"),
        };
    }

    private static void Add(JsonObject root, string pointer, JsonNode? value, string field)
    {
        var (parent, token) = Resolve(root, pointer, field);
        switch (parent)
        {
            case JsonObject o:
                o[token] = value;
                break;
            case JsonArray a when token == "-":
                a.Add(value);
                break;
            case JsonArray a when int.TryParse(token, out var i) && i >= 0 && i <= a.Count:
                a.Insert(i, value);
                break;
            default:
                throw new ValidationFailedException($"{field}.path", $"{pointer} cannot be added to");
        }
    }

    private static JsonNode? Remove(JsonObject root, string pointer, string field)
    {
        var (parent, token) = Resolve(root, pointer, field);
        switch (parent)
        {
            case JsonObject o when o.TryGetPropertyValue(token, out var value):
                o.Remove(token);
                return value;
            case JsonArray a when int.TryParse(token, out var i) && i >= 0 && i < a.Count:
                var removed = a[i];
                a.RemoveAt(i);
                return removed;
            default:
                throw new ValidationFailedException($"{field}.path", $"{pointer} does not exist");
        }
    }
}
