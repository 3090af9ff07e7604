using RebarProvision.Server.Configuration;
using RebarProvision.Store;
using RebarProvision.Store.Postgres;

namespace RebarProvision.Server.Cluster;

/// <summary>
/// <c>rebar-provision migrate --to-postgres &lt;connection&gt; [--data-dir DIR] [--events-since 7.00:00:00]</c>:
/// outgrowing one node. Copies the embedded store of the data directory into an empty PostgreSQL database (see
/// <see cref="StoreCopy"/>). Refused while a server holds the data directory (its lock), so no write is lost
/// between the copy and the switch. The keys stay in <c>&lt;dataDir&gt;/keys/</c>: every node gets a copy.
/// </summary>
public static class MigrateCommand
{
    /// <returns>0 when copied, 1 when refused or failed, 2 for a usage error.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        string? target = null;
        var dataDir = Environment.GetEnvironmentVariable("REBAR_DATA_DIR");
        var eventsSince = TimeSpan.FromDays(7);
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--to-postgres" when value is not null:
                    target = value;
                    i++;
                    break;
                case "--data-dir" when value is not null:
                    dataDir = value;
                    i++;
                    break;
                case "--events-since" when value is not null && TimeSpan.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out eventsSince):
                    i++;
                    break;
                default:
                    await error.WriteLineAsync($"rebar-provision migrate: unexpected '{args[i]}'; usage: migrate --to-postgres <connection> [--data-dir DIR] [--events-since 7.00:00:00]");
                    return 2;
            }
        }
        if (target is null)
        {
            await error.WriteLineAsync("rebar-provision migrate: --to-postgres <connection> is required");
            return 2;
        }
        dataDir = Path.GetFullPath(dataDir ?? (Environment.UserName == "root" ? "/var/lib/rebar-provision" : "data"));
        if (!File.Exists(Path.Combine(dataDir, SqliteStore.FileName)))
        {
            await error.WriteLineAsync($"rebar-provision migrate: no embedded store in {dataDir} ({SqliteStore.FileName} is missing)");
            return 1;
        }
        try
        {
            await using var from = new SqliteStore(dataDir);
            await using var to = new PostgresStore(target);
            await to.MigrateAsync();
            var now = DateTimeOffset.UtcNow;
            var report = await StoreCopy.CopyAsync(from, to, now - eventsSince, now, CancellationToken.None);
            await output.WriteLineAsync(
                $"migrated {dataDir} to PostgreSQL: {report.Objects} objects, {report.Leases} leases ({report.LeasesRefused} refused), {report.Events} events");
            await output.WriteLineAsync(
                $"next: copy {Path.Combine(dataDir, "keys")} into every node's data directory (secure params and machine tokens need it), then start the nodes with --store postgres");
            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or Npgsql.NpgsqlException or IOException or ConfigurationException)
        {
            await error.WriteLineAsync($"rebar-provision migrate: {e.Message}");
            return 1;
        }
    }
}
