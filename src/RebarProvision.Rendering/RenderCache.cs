using System.Collections.Concurrent;

namespace RebarProvision.Rendering;

/// <summary>
/// A bounded cache of rendered output in two generations: lookups promote from the old generation, and when the
/// young one is full the old one is dropped. Recently used entries survive; memory stays under twice the capacity.
/// Keys carry every revision an output depends on, so a change makes a new key and the stale entry ages out.
/// A miss renders once however many callers ask for it at the same time (a rack booting together asks for the same
/// files at once): the others wait for that render and share its result or its error.
/// </summary>
internal sealed class RenderCache(int capacity)
{
    private ConcurrentDictionary<string, object> _young = new(StringComparer.Ordinal);
    private ConcurrentDictionary<string, object> _old = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<object>> _rendering = new(StringComparer.Ordinal);
    private readonly Lock _rotate = new();

    public T GetOrAdd<T>(string? key, Func<T> render)
        where T : class
    {
        if (key is null || capacity <= 0)
        {
            return render();
        }
        if (TryGet(key, out var hit))
        {
            return (T)hit;
        }
        var mine = new Lazy<object>(() => TryGet(key, out var late) ? late : Added(key, render()), LazyThreadSafetyMode.ExecutionAndPublication);
        var flight = _rendering.GetOrAdd(key, mine);
        try
        {
            return (T)flight.Value;
        }
        finally
        {
            if (ReferenceEquals(flight, mine))
            {
                _rendering.TryRemove(KeyValuePair.Create(key, mine));
            }
        }
    }

    public void Clear()
    {
        lock (_rotate)
        {
            _young = new(StringComparer.Ordinal);
            _old = new(StringComparer.Ordinal);
        }
    }

    private bool TryGet(string key, out object value)
    {
        if (_young.TryGetValue(key, out value!))
        {
            return true;
        }
        if (_old.TryGetValue(key, out value!))
        {
            Added(key, value);
            return true;
        }
        return false;
    }

    private object Added(string key, object value)
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
        return value;
    }
}
