using RebarProvision.Model;

namespace RebarProvision.Store.Postgres;

/// <summary>
/// Moves an embedded store's contents into an empty PostgreSQL store (outgrowing one node): every object as stored
/// (secure params stay sealed: the documents are copied, never opened), every lease with its state and expiry, and
/// the events since a given time. Objects get new revisions and timestamps in the target, as any write does there.
/// </summary>
public static class StoreCopy
{
    public sealed record Report(int Objects, int Leases, int LeasesRefused, int Events);

    /// <exception cref="InvalidOperationException">The target already holds objects: nothing is copied into a store in use.</exception>
    public static async Task<Report> CopyAsync(IStore from, IStore to, DateTimeOffset eventsSince, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var kind in ObjectKind.Documents)
        {
            if (await to.Objects.CountAsync(kind, cancellationToken) is var count and > 0)
            {
                throw new InvalidOperationException($"the target store is not empty ({count} {kind.Name}); migrate into a fresh database");
            }
        }
        var objects = 0;
        foreach (var kind in ObjectKind.Documents)
        {
            foreach (var value in await from.Objects.ListAsync(kind, cancellationToken))
            {
                await to.Objects.CreateAsync(value, cancellationToken);
                objects++;
            }
        }
        var leases = 0;
        var refused = 0;
        foreach (var lease in await from.Leases.ListAsync(cancellationToken: cancellationToken))
        {
            if (await to.Leases.TryClaimAsync(lease, now, cancellationToken) is null)
            {
                refused++;
            }
            else
            {
                leases++;
            }
        }
        var events = 0;
        for (long after = 0; ;)
        {
            var page = await from.Events.ListAsync(after, limit: 1000, cancellationToken: cancellationToken);
            if (page.Count == 0)
            {
                break;
            }
            foreach (var stored in page.Where(e => e.Time >= eventsSince))
            {
                await to.Events.AppendAsync(stored with { Id = 0 }, cancellationToken);
                events++;
            }
            after = page[^1].Id;
        }
        return new Report(objects, leases, refused, events);
    }
}
