namespace RebarProvision.Store.Postgres;

/// <summary>One object write as NOTIFYed on <see cref="PostgresStore.ChangesChannel"/>: "kind:key:revision".</summary>
public sealed record ObjectChange(string Kind, string Key, long Revision)
{
    /// <summary>Keys may contain ':' (template names), so the kind ends at the first and the revision starts after the last.</summary>
    public static ObjectChange? Parse(string payload)
    {
        var first = payload.IndexOf(':', StringComparison.Ordinal);
        var last = payload.LastIndexOf(':');
        return first > 0 && last > first
               && long.TryParse(payload.AsSpan(last + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var revision)
            ? new ObjectChange(payload[..first], payload[(first + 1)..last], revision)
            : null;
    }
}
