namespace RebarProvision.Store;

/// <summary>The store named by configuration (<c>--store sqlite|postgres</c>). The host calls MigrateAsync itself.</summary>
public static class StoreFactory
{
    /// <param name="store">"sqlite" or "postgres" (case-insensitive).</param>
    /// <param name="location">For sqlite the data directory (the file is <c>rebar.db</c> in it); for postgres an Npgsql connection string.</param>
    public static IStore Create(string store, string location, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        return store.ToLowerInvariant() switch
        {
            "sqlite" => new SqliteStore(location, time),
            "postgres" or "postgresql" => new PostgresStore(location, time),
            _ => throw new ArgumentException($"unknown store '{store}': use sqlite or postgres", nameof(store)),
        };
    }
}
