namespace RebarProvision.Store;

/// <summary>Which database a store keeps its data in (<c>--store sqlite|postgres</c>).</summary>
public enum StoreKind
{
    /// <summary>The embedded SQLite file: one node.</summary>
    Sqlite,

    /// <summary>PostgreSQL: production and HA.</summary>
    Postgres,
}
