namespace RebarProvision.Store;

/// <summary>The store named by configuration (<c>--store sqlite|postgres</c>). The host calls MigrateAsync itself.</summary>
public static class StoreFactory
{
    /// <param name="location">For sqlite the data directory (the file is <c>rebar.db</c> in it); for postgres an Npgsql connection string.</param>
    public static IStore Create(StoreKind kind, string location, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        return kind switch
        {
            StoreKind.Sqlite => new SqliteStore(location, time),
            StoreKind.Postgres => new PostgresStore(location, time),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown store kind"),
        };
    }

    /// <summary>"sqlite" or "postgres" (also "postgresql"), in any case, as configuration spells it.</summary>
    public static StoreKind ParseKind(string text) => text.ToLowerInvariant() switch
    {
        "sqlite" => StoreKind.Sqlite,
        "postgres" or "postgresql" => StoreKind.Postgres,
        _ => throw new ArgumentException($"unknown store '{text}': use sqlite or postgres", nameof(text)),
    };
}
