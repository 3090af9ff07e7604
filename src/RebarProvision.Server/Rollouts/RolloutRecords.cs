using RebarProvision.Model;
using RebarProvision.Server.Objects;
using RebarProvision.Store;

namespace RebarProvision.Server.Rollouts;

/// <summary>
/// Changes to a stored rollout, each read fresh from the store and written at the revision it read (so the driver
/// and an operator's stop never overwrite each other), retried a few times when someone else wrote first. Every
/// write goes through <see cref="Inventory"/>, which publishes it as a <c>rollout.updated</c> event.
/// </summary>
public sealed class RolloutRecords(Inventory inventory)
{
    private const int Attempts = 5;

    public async Task<Rollout?> GetAsync(string id, CancellationToken cancellationToken) =>
        await inventory.Objects.GetAsync(ObjectKind.Rollouts, id, cancellationToken) as Rollout;

    /// <summary>Applies <paramref name="change"/> to the stored rollout; it returns false to write nothing.</summary>
    /// <exception cref="StoreNotFoundException">No rollout has the id.</exception>
    public async Task<Rollout> ChangeAsync(string id, Func<Rollout, bool> change, string actor, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var current = await GetAsync(id, cancellationToken) ?? throw new StoreNotFoundException($"rollouts/{id} does not exist");
            if (!change(current))
            {
                return current;
            }
            try
            {
                return (Rollout)await inventory.UpdateAsync(current, current.Revision, actor, cancellationToken);
            }
            catch (StorePreconditionFailedException) when (attempt < Attempts)
            {
            }
        }
    }
}
