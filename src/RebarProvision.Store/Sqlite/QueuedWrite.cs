namespace RebarProvision.Store.Sqlite;

/// <summary>A piece of write work waiting for the SQLite writer, completed after the commit that included it.</summary>
internal abstract class QueuedWrite
{
    public abstract void Run(SqliteDatabase database);

    public abstract void Fail(Exception exception);

    public abstract void Complete();
}

internal sealed class QueuedWrite<T>(Func<SqliteDatabase, T> work, CancellationToken cancellationToken) : QueuedWrite
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private T _result = default!;
    private bool _done;

    public Task<T> Task => _completion.Task;

    public override void Run(SqliteDatabase database)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _result = work(database);
    }

    public override void Fail(Exception exception)
    {
        _done = true;
        if (exception is OperationCanceledException canceled)
        {
            _completion.TrySetCanceled(canceled.CancellationToken);
        }
        else
        {
            _completion.TrySetException(exception);
        }
    }

    /// <summary>After the commit: hands over the result, unless this piece failed and was rolled back to its savepoint.</summary>
    public override void Complete()
    {
        if (!_done)
        {
            _completion.TrySetResult(_result);
        }
    }
}
