using System.Globalization;
using System.Text.Json.Nodes;
using RebarProvision.Model;

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

    /// <summary>
    /// The page of <paramref name="items"/> (given in key order) the query asks for, judged on the fields the API
    /// shows (<see cref="ObjectField"/>). Sorting is stable: equals stay in key order, so pages do not shift.
    /// </summary>
    public IEnumerable<T> Apply<T>(IEnumerable<T> items) where T : StoredObject
    {
        var filters = Filters.Select(f => (Field: new ObjectField(f.Field), Wanted: f.Value)).ToArray();
        var filtered = filters.Length == 0 ? items : items.Where(item => Passes(item, filters));
        if (!string.IsNullOrEmpty(Sort))
        {
            var field = new ObjectField(Sort);
            var comparer = Comparer<string>.Create((a, b) => CompareValues(a, b));
            filtered = Descending
                ? filtered.OrderByDescending(i => Text(field.Read(i)), comparer)
                : filtered.OrderBy(i => Text(field.Read(i)), comparer);
        }
        return filtered.Skip(Offset).Take(Limit);
    }

    private static bool Passes(StoredObject item, (ObjectField Field, string Wanted)[] filters)
    {
        foreach (var (field, wanted) in filters)
        {
            if (!Matches(field.Read(item), wanted))
            {
                return false;
            }
        }
        return true;
    }

    private static bool Matches(object? field, string wanted) => field switch
    {
        null => wanted.Length == 0,
        string text => string.Equals(text, wanted, StringComparison.OrdinalIgnoreCase),
        JsonArray array => array.Any(e => Matches(e, wanted)),
        JsonValue value => string.Equals(value.ToString(), wanted, StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    private static string Text(object? field) => field as string ?? field?.ToString() ?? "";

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
