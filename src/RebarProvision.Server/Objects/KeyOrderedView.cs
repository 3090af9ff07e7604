using System.Collections.Concurrent;
using RebarProvision.Model;

namespace RebarProvision.Server.Objects;

/// <summary>
/// One kind's cached objects in key order, for API lists and rollouts: sorted again only after the kind changed, so
/// paging through 100,000 unchanged machines does not sort them per page.
/// </summary>
internal sealed class KeyOrderedView(ConcurrentDictionary<string, StoredObject> objects)
{
    private sealed record Snapshot(long Changes, StoredObject[] Items);

    private long _changes;
    private Snapshot _snapshot = new(-1, []);

    public void Changed() => Interlocked.Increment(ref _changes);

    public IReadOnlyList<StoredObject> Items()
    {
        // The count is read before the objects: a change that lands while they are copied leaves the snapshot older
        // than the count, and the next call sorts again.
        var changes = Interlocked.Read(ref _changes);
        var snapshot = Volatile.Read(ref _snapshot);
        if (snapshot.Changes == changes)
        {
            return snapshot.Items;
        }
        var items = objects.Values.ToArray();
        var keys = Array.ConvertAll(items, i => i.Key);
        Array.Sort(keys, items, StringComparer.Ordinal);
        Volatile.Write(ref _snapshot, new Snapshot(changes, items));
        return items;
    }
}
