using RebarProvision.Dhcp.Server;
using RebarProvision.Server.Objects;
using RebarProvision.Store;
using RebarProvision.Store.Postgres;

namespace RebarProvision.Server.Cluster;

/// <summary>
/// Registers the cluster's parts (DESIGN §7): membership, the singleton-work lock and, on PostgreSQL, the change
/// feed that keeps the object cache coherent. On the embedded store the same services describe a one-node cluster.
/// </summary>
public sealed class ClusterServices
{
    private ClusterServices(PostgresStore? postgres, ObjectChangeFeed? changes)
    {
        Postgres = postgres;
        Changes = changes;
        NodeTable = postgres is null ? null : new PostgresNodeTable(postgres.DataSource);
    }

    public PostgresStore? Postgres { get; }

    public PostgresNodeTable? NodeTable { get; }

    /// <summary>Null on the embedded store, where every write is this node's own.</summary>
    public ObjectChangeFeed? Changes { get; }

    /// <summary>
    /// Starts listening for other nodes' writes before <paramref name="cache"/> is loaded, so none falls between.
    /// Call it, then load the cache, then <see cref="Register"/>.
    /// </summary>
    public static async Task<ClusterServices> StartAsync(IStore store, ObjectCache cache, ILoggerFactory logging, CancellationToken cancellationToken)
    {
        var postgres = (store as ResilientStore)?.Inner as PostgresStore ?? store as PostgresStore;
        ObjectChangeFeed? changes = null;
        if (postgres is not null)
        {
            changes = new ObjectChangeFeed(new PostgresChangeListener(postgres.DataSource), store, cache, logging.CreateLogger<ObjectChangeFeed>());
            await changes.ListenBeforeLoadAsync(cancellationToken);
        }
        return new ClusterServices(postgres, changes);
    }

    public void Register(IServiceCollection services)
    {
        services.AddSingleton(this);
        services.AddSingleton<SelfNode>();
        services.AddSingleton<PeerCredential>();
        services.AddSingleton<PeerBlobs>();
        services.AddSingleton<MissingBootEnvFiles>();
        services.AddSingleton<LiveNodes>();
        services.AddSingleton<IDhcpPeers, ClusterDhcpPeers>();
        services.AddSingleton(sp => new SingletonWork(
            Postgres is null ? null : new PostgresAdvisoryLock(Postgres.DataSource, PostgresAdvisoryLock.SingletonWork),
            sp.GetRequiredService<ILogger<SingletonWork>>()));
        services.AddHostedService(sp => sp.GetRequiredService<SingletonWork>());
        services.AddHostedService(sp => new NodeHeartbeat(NodeTable, sp.GetRequiredService<SelfNode>(), sp.GetRequiredService<LiveNodes>(),
            sp.GetRequiredService<SingletonWork>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<NodeHeartbeat>>()));
        if (Changes is not null)
        {
            services.AddHostedService(_ => Changes);
        }
    }
}
