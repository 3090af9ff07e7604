using RebarProvision.Model;
using RebarProvision.Store;

namespace RebarProvision.Dhcp.Integration.Tests;

/// <summary>A migrated SQLite store in a temporary directory, deleted on dispose.</summary>
internal sealed class TempStore : IAsyncDisposable
{
    private readonly string _directory;

    private TempStore(string directory, SqliteStore store)
    {
        _directory = directory;
        Store = store;
    }

    public SqliteStore Store { get; }

    public static async Task<TempStore> CreateAsync(TimeProvider? time = null, params Subnet[] subnets)
    {
        var directory = Directory.CreateTempSubdirectory("rebar-dhcp-").FullName;
        var store = new SqliteStore(directory, time);
        await store.MigrateAsync();
        foreach (var subnet in subnets)
        {
            await store.Objects.CreateAsync(subnet);
        }
        return new TempStore(directory, store);
    }

    public static Subnet Subnet(string name, string cidr, string start, string end, params DhcpOptionValue[] options) => new()
    {
        Name = name,
        Cidr = cidr,
        ActiveStart = start,
        ActiveEnd = end,
        LeaseTime = 600,
        Options = [.. options],
    };

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
