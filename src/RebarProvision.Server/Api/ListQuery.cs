using System.Globalization;
using System.Text.Json.Nodes;

namespace RebarProvision.Server.Api;

/// <summary>
/// List parameters: <c>?limit</c>, <c>?offset</c>, <c>?sort=field</c> (prefix '-' for descending) and any other
/// <c>?field=value</c> as an equality filter on a top-level field (an array field matches when any element does).
/// </summary>
public sealed record ListQuery(int Limit, int Offset, string? Sort, bool Descending, IReadOnlyList<(string Field, string Value)> Filters)
{
    public const int MaxLimit = 10_000;

    public static ListQuery Parse(IQueryCollection query)
    {
        var limit = Number(query, "limit", MaxLimit);
        var offset = Number(query, "offset", 0);
        if (limit is < 1 or > MaxLimit)
        {
            throw new ValidationFailedException("limit", $"must be between 1 and {MaxLimit}");
        }
        if (offset < 0)
        {
            throw new ValidationFailedException("offset", "must not be negative");
        }
        string? sort = query["sort"];
        var descending = sort?.StartsWith('-') == true;
        var filters = query
            .Where(q => q.Key is not ("limit" or "offset" or "sort"))
            .SelectMany(q => q.Value.Select(v => (q.Key, v ?? "")))
            .ToList();
        return new ListQuery(limit, offset, descending ? sort![1..] : sort, descending, filters);
    }

    public IEnumerable<JsonObject> Apply(IEnumerable<JsonObject> items)
    {
        var filtered = items.Where(item => Filters.All(f => Matches(Field(item, f.Field), f.Value)));
        if (!string.IsNullOrEmpty(Sort))
        {
            var comparer = Comparer<string>.Create((a, b) => CompareValues(a, b));
            filtered = Descending
                ? filtered.OrderByDescending(i => Field(i, Sort)?.ToString() ?? "", comparer)
                : filtered.OrderBy(i => Field(i, Sort)?.ToString() ?? "", comparer);
        }
        return filtered.Skip(Offset).Take(Limit);
    }

    private static JsonNode? Field(JsonObject item, string name) =>
        item.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    private static bool Matches(JsonNode? node, string wanted) => node switch
    {
        null => wanted.Length == 0,
        JsonArray array => array.Any(e => Matches(e, wanted)),
        JsonValue value => string.Equals(value.ToString(), wanted, StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    /// <summary>Numbers sort as numbers, everything else ordinally.</summary>
    private static int CompareValues(string a, string b) =>
        double.TryParse(a, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && double.TryParse(b, NumberStyles.Float, CultureInfo.InvariantCulture, out var y)
            ? x.CompareTo(y)
            : string.CompareOrdinal(a, b);

    private static int Number(IQueryCollection query, string name, int fallback)
    {
        var text = query[name].ToString();
        if (text.Length == 0)
        {
            return fallback;
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ValidationFailedException(name, $"'{text}' is not a whole number");
    }
}
