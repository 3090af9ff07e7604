using RebarProvision.Store;

namespace RebarProvision.Server.Cluster;

/// <summary>
/// Who is in the cluster right now (DESIGN §7), as the last heartbeat read it: every node beats its row once a
/// second and one unseen for <see cref="DeadAfter"/> is dead. Other parts ask it which nodes to share work with (the
/// DHCP hash split) or to point a client at (iPXE fallback URLs). On the embedded store the cluster is this node.
/// </summary>
public sealed class LiveNodes
{
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan DeadAfter = TimeSpan.FromSeconds(3);

    private readonly TimeProvider _time;
    private volatile Snapshot _snapshot = new([], DateTimeOffset.MinValue);

    public LiveNodes(SelfNode self, TimeProvider time)
    {
        Self = self.Name;
        _time = time;
    }

    /// <summary>This node's name.</summary>
    public string Self { get; }

    /// <summary>Every node with a heartbeat row, dead ones included, by name.</summary>
    public IReadOnlyList<ClusterNode> All => _snapshot.Nodes;

    /// <summary>The live nodes, by name: the same order on every node, so a hash over them agrees everywhere.</summary>
    public IReadOnlyList<ClusterNode> Live => _snapshot.Nodes.Where(n => n.Live).ToList();

    /// <summary>
    /// True while this node's own heartbeat reached the database within <see cref="DeadAfter"/>: the others count it
    /// in. A node that cannot beat must assume it has been counted out, and leave shared work to the others.
    /// </summary>
    public bool IsMember
    {
        get
        {
            var snapshot = _snapshot;
            return _time.GetUtcNow() - snapshot.BeatAt < DeadAfter && snapshot.Nodes.Any(n => n.Name == Self && n.Live);
        }
    }

    /// <summary>The live nodes' HTTP boot URLs, <paramref name="first"/> (the URL the client reached) first.</summary>
    public IReadOnlyList<string> BootUrls(string first)
    {
        var urls = new List<string> { first.TrimEnd('/') };
        foreach (var node in Live.Where(n => n.Name != Self))
        {
            if (node.BootUrl.Length > 0 && !urls.Contains(node.BootUrl.TrimEnd('/')))
            {
                urls.Add(node.BootUrl.TrimEnd('/'));
            }
        }
        return urls;
    }

    /// <summary>Raised after every heartbeat that changed who is live.</summary>
    public event Action? Changed;

    /// <summary>A heartbeat of this node reached the database, and it read back the node table.</summary>
    internal void Update(IReadOnlyList<ClusterNode> nodes)
    {
        var before = _snapshot.Nodes.Where(n => n.Live).Select(n => n.Name).ToList();
        _snapshot = new Snapshot(nodes, _time.GetUtcNow());
        if (!before.SequenceEqual(nodes.Where(n => n.Live).Select(n => n.Name)))
        {
            Changed?.Invoke();
        }
    }

    private sealed record Snapshot(IReadOnlyList<ClusterNode> Nodes, DateTimeOffset BeatAt);
}
