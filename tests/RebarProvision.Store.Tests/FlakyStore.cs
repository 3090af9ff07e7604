using System.Reflection;
using RebarProvision.Model;

namespace RebarProvision.Store.Tests;

/// <summary>A real store whose database can be switched away: while <see cref="Down"/>, every call times out.</summary>
public sealed class FlakyStore : IStore
{
    private readonly IStore _inner;

    public FlakyStore(IStore inner)
    {
        _inner = inner;
        Objects = Wrap(inner.Objects);
        Leases = Wrap(inner.Leases);
        Events = Wrap(inner.Events);
    }

    public bool Down { get; set; }

    /// <summary>How many of the next calls fail as if the database were down, after which calls go through again.</summary>
    public int FailNext { get; set; }

    public int Calls { get; private set; }

    public StoreKind Kind => _inner.Kind;

    public IObjectStore Objects { get; }

    public ILeaseStore Leases { get; }

    public IEventStore Events { get; }

    public Task MigrateAsync(CancellationToken cancellationToken = default) => _inner.MigrateAsync(cancellationToken);

    public Task<bool> PingAsync(CancellationToken cancellationToken = default) =>
        Down ? throw new TimeoutException("database down") : _inner.PingAsync(cancellationToken);

    public bool IsTransient(Exception exception) => _inner.IsTransient(exception);

    public ValueTask DisposeAsync() => _inner.DisposeAsync();

    private T Wrap<T>(T target)
        where T : class
    {
        var proxy = DispatchProxy.Create<T, Failing<T>>();
        ((Failing<T>)(object)proxy).Attach(target, this);
        return proxy;
    }

    public class Failing<T> : DispatchProxy
        where T : class
    {
        private T _target = null!;
        private FlakyStore _owner = null!;

        internal void Attach(T target, FlakyStore owner)
        {
            _target = target;
            _owner = owner;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            _owner.Calls++;
            if (_owner.Down || (_owner.FailNext > 0 && _owner.FailNext-- > 0))
            {
                throw new TimeoutException("database down");
            }
            try
            {
                return targetMethod!.Invoke(_target, args);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                throw e.InnerException;
            }
        }
    }
}
