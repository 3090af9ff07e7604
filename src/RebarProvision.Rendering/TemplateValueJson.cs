using System.Collections;
using System.Globalization;
using System.Text.Json.Nodes;
using Scriban.Parsing;
using Scriban.Syntax;

namespace RebarProvision.Rendering;

/// <summary>
/// Converts what a template hands <c>to_json</c> or <c>to_yaml</c> into JSON within the render's budget. Templates
/// can build values that are not trees (an object holding itself) or are huge but lazy (<c>1..2000000000</c>); an
/// unchecked walk of the first overflows the stack, which no handler can catch and which ends the process, and the
/// second exhausts memory. So the walk refuses a value that contains itself, is nested deeper than
/// <see cref="RenderLimits.MaxValueDepth"/>, or has more than <see cref="RenderLimits.MaxValueNodes"/> elements or
/// <see cref="RenderLimits.MaxOutputChars"/> characters of text, and says so at the template's line.
/// </summary>
internal sealed class TemplateValueJson
{
    private readonly RenderLimits _limits;
    private readonly SourceSpan _span;
    private readonly string _helper;
    private readonly HashSet<object> _open = new(ReferenceEqualityComparer.Instance);
    private int _nodes;
    private long _chars;

    private TemplateValueJson(RenderLimits limits, SourceSpan span, string helper)
    {
        _limits = limits;
        _span = span;
        _helper = helper;
    }

    /// <exception cref="ScriptRuntimeException">The value is over a limit or contains itself.</exception>
    public static JsonNode? Convert(object? value, RenderLimits limits, SourceSpan span, string helper) =>
        new TemplateValueJson(limits, span, helper).Node(value, 0);

    private JsonNode? Node(object? value, int depth)
    {
        if (++_nodes > _limits.MaxValueNodes)
        {
            throw Refuse($"the value has more than {_limits.MaxValueNodes} elements");
        }
        return value switch
        {
            null => null,
            string s => JsonValue.Create(Text(s)),
            bool b => JsonValue.Create(b),
            int i => JsonValue.Create(i),
            long l => JsonValue.Create(l),
            double d => JsonValue.Create(d),
            float f => JsonValue.Create(f),
            decimal m => JsonValue.Create(m),
            System.Numerics.BigInteger big => JsonNode.Parse(Text(big.ToString(CultureInfo.InvariantCulture))),
            IDictionary<string, object?> map => Container(map, depth, Object),
            IEnumerable list => Container(list, depth, Array),
            _ => JsonValue.Create(Text(System.Convert.ToString(value, CultureInfo.InvariantCulture) ?? "")),
        };
    }

    private JsonNode Container<T>(T value, int depth, Func<T, int, JsonNode> convert)
        where T : class
    {
        if (depth >= _limits.MaxValueDepth)
        {
            throw Refuse($"the value is nested deeper than {_limits.MaxValueDepth} levels");
        }
        if (!_open.Add(value))
        {
            throw Refuse("the value contains itself");
        }
        var node = convert(value, depth + 1);
        _open.Remove(value);
        return node;
    }

    private JsonObject Object(IDictionary<string, object?> map, int depth)
    {
        var obj = new JsonObject();
        foreach (var (key, child) in map)
        {
            obj[Text(key)] = Node(child, depth);
        }
        return obj;
    }

    private JsonArray Array(IEnumerable list, int depth)
    {
        var array = new JsonArray();
        foreach (var child in list)
        {
            array.Add(Node(child, depth));
        }
        return array;
    }

    private string Text(string s)
    {
        _chars += s.Length;
        if (_chars > _limits.MaxOutputChars)
        {
            throw Refuse($"the value holds more than {_limits.MaxOutputChars} characters of text");
        }
        return s;
    }

    private ScriptRuntimeException Refuse(string why) => new(_span, $"{_helper}: {why}");
}
