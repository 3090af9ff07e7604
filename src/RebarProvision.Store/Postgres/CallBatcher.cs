using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;

namespace RebarProvision.Store.Postgres;

/// <summary>
/// Coalesces concurrent calls of one kind into one round trip: callers queue a request, and each of a few lanes
/// takes whatever is queued when it comes free and runs it as one batch. An idle store answers a lone call at once
/// (a batch of one); under load a batch gathers the calls that arrived while the previous one was in flight, so the
/// cost of a round trip and a commit is shared instead of paid by each DHCP exchange.
/// </summary>
/// <remarks>
/// <paramref name="fits"/> keeps requests that must not share a batch apart (two claims of one address, say): a
/// request that does not fit is carried to a later batch, possibly on another lane while the first is in flight.
/// </remarks>
internal sealed class CallBatcher<TRequest, TResult> : IAsyncDisposable
{
    private readonly Func<IReadOnlyList<TRequest>, CancellationToken, Task<IReadOnlyList<TResult>>> _run;
    private readonly Func<IReadOnlyList<TRequest>, TRequest, bool> _fits;
    private readonly int _maxBatch;
    private readonly Channel<Call> _queue = Channel.CreateUnbounded<Call>(new UnboundedChannelOptions { SingleReader = false });
    private readonly Lock _carryLock = new();
    private readonly Queue<Call> _carried = new();
    private readonly Task[] _lanes;

    /// <param name="run">Runs one batch; returns one result per request, in the requests' order.</param>
    /// <param name="fits">Whether a request may join a batch that already holds the given requests.</param>
    public CallBatcher(
        Func<IReadOnlyList<TRequest>, CancellationToken, Task<IReadOnlyList<TResult>>> run,
        Func<IReadOnlyList<TRequest>, TRequest, bool> fits,
        int lanes,
        int maxBatch)
    {
        _run = run;
        _fits = fits;
        _maxBatch = maxBatch;
        _lanes = Enumerable.Range(0, lanes).Select(_ => Task.Run(RunLaneAsync)).ToArray();
    }

    public Task<TResult> CallAsync(TRequest request, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var call = new Call(request, cancellationToken);
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(call), this);
        // The caller stops waiting when its token fires (the store's timeout), even while its batch is still in
        // flight; the batch finishes for the others.
        return cancellationToken.CanBeCanceled ? call.Completion.Task.WaitAsync(cancellationToken) : call.Completion.Task;
    }

    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "A lane's boundary: every call of a failed batch gets the exception, and the lane goes on with the next batch.")]
    private async Task RunLaneAsync()
    {
        var calls = new List<Call>(_maxBatch);
        var requests = new List<TRequest>(_maxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            Take(calls, requests);
            if (calls.Count == 0)
            {
                continue;
            }
            try
            {
                var results = await _run(requests, CancellationToken.None);
                for (var i = 0; i < calls.Count; i++)
                {
                    calls[i].Completion.TrySetResult(results[i]);
                }
            }
            catch (Exception e)
            {
                foreach (var call in calls)
                {
                    call.Completion.TrySetException(e);
                }
            }
            calls.Clear();
            requests.Clear();
        }
    }

    /// <summary>Fills a batch from the carried-over calls first, then the queue; what does not fit is carried.</summary>
    private void Take(List<Call> calls, List<TRequest> requests)
    {
        lock (_carryLock)
        {
            var carried = _carried.Count;
            for (var i = 0; i < carried && calls.Count < _maxBatch; i++)
            {
                Offer(_carried.Dequeue(), calls, requests);
            }
            while (calls.Count < _maxBatch && _queue.Reader.TryRead(out var call))
            {
                Offer(call, calls, requests);
            }
            if (_carried.Count > 0)
            {
                // Wake a lane for what was carried, even if nothing new arrives.
                _queue.Writer.TryWrite(Call.Wake);
            }
        }
    }

    private void Offer(Call call, List<Call> calls, List<TRequest> requests)
    {
        if (ReferenceEquals(call, Call.Wake))
        {
            return;
        }
        if (call.CancellationToken.IsCancellationRequested)
        {
            call.Completion.TrySetCanceled(call.CancellationToken);
            return;
        }
        if (!_fits(requests, call.Request))
        {
            _carried.Enqueue(call);
            return;
        }
        calls.Add(call);
        requests.Add(call.Request);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_lanes);
        lock (_carryLock)
        {
            while (_carried.TryDequeue(out var call))
            {
                call.Completion.TrySetException(new ObjectDisposedException(nameof(CallBatcher<TRequest, TResult>)));
            }
        }
    }

    private sealed class Call(TRequest request, CancellationToken cancellationToken)
    {
        /// <summary>A marker that only wakes a lane.</summary>
        public static readonly Call Wake = new(default!, CancellationToken.None);

        public TRequest Request { get; } = request;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public TaskCompletionSource<TResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
