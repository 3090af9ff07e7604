using Scriban.Runtime;

namespace RebarProvision.Rendering;

/// <summary>
/// A ScriptArray that refuses changes once frozen. Scriban does not enforce <c>IsReadOnly</c> on array element
/// assignment, and converted models are shared between renders, so one template must not change what the next sees.
/// </summary>
internal sealed class FrozenScriptArray(int capacity) : ScriptArray(capacity)
{
    private bool _frozen;

    public bool IsFrozen => _frozen;

    public void Freeze()
    {
        _frozen = true;
        IsReadOnly = true;
    }

    public override object? this[int index]
    {
        get => base[index];
        set
        {
            Refuse();
            base[index] = value;
        }
    }

    public override void Add(object? item)
    {
        Refuse();
        base.Add(item);
    }

    public override void Clear()
    {
        Refuse();
        base.Clear();
    }

    public override void Insert(int index, object? item)
    {
        Refuse();
        base.Insert(index, item);
    }

    public override void RemoveAt(int index)
    {
        Refuse();
        base.RemoveAt(index);
    }

    public override bool Remove(object? item)
    {
        Refuse();
        return base.Remove(item);
    }

    private void Refuse()
    {
        if (_frozen)
        {
            throw new InvalidOperationException("context values are read-only; copy them into a variable of your own first");
        }
    }
}
