using System.Collections.Concurrent;

namespace RebarProvision.Rendering;

/// <summary>
/// A bounded cache of rendered output in two generations: lookups promote from the old generation, and when the
/// young one is full the old one is dropped. Recently used entries survive; memory stays under twice the capacity.
/// Keys carry every revision an output depends on, so a change makes a new key and the stale entry ages out.
/// </summary>
internal sealed class RenderCache(int capacity)
{
    private ConcurrentDictionary<string, object> _young = new(StringComparer.Ordinal);
    private ConcurrentDictionary<string, object> _old = new(StringComparer.Ordinal);
    private readonly Lock _rotate = new();

    public T GetOrAdd<T>(string? key, Func<T> render)
        where T : class
    {
        if (key is null || capacity <= 0)
        {
            return render();
        }
        if (_young.TryGetValue(key, out var hit))
        {
            return (T)hit;
        }
        if (_old.TryGetValue(key, out hit))
        {
            Add(key, hit);
            return (T)hit;
        }
        var value = render();
        Add(key, value);
        return value;
    }

    public void Clear()
    {
        lock (_rotate)
        {
            _young = new(StringComparer.Ordinal);
            _old = new(StringComparer.Ordinal);
        }
    }

    private void Add(string key, object value)
    {
        if (_young.Count >= capacity)
        {
            lock (_rotate)
            {
                if (_young.Count >= capacity)
                {
                    _old = _young;
                    _young = new(StringComparer.Ordinal);
                }
            }
        }
        _young[key] = value;
    }
}
