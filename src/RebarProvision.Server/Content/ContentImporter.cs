using RebarProvision.Model;
using RebarProvision.Server.Api;
using RebarProvision.Server.Objects;
using RebarProvision.Store;

namespace RebarProvision.Server.Content;

/// <summary>Writes a bundle into the inventory, dependencies first, creating or replacing each object.</summary>
public sealed class ContentImporter
{
    private readonly Inventory _inventory;

    public ContentImporter(Inventory inventory) => _inventory = inventory;

    public async Task<int> ImportAsync(ContentBundle bundle, string actor, CancellationToken cancellationToken = default)
    {
        var count = 0;
        foreach (var kind in ContentBundle.ImportOrder)
        {
            foreach (var value in bundle.Objects.Where(o => Inventory.KindOf(o) == kind))
            {
                await _inventory.UpsertAsync(value, actor, cancellationToken);
                count++;
            }
        }
        return count;
    }

    /// <summary>
    /// Creates each object of the bundle that the store lacks and leaves the others as they are. Nodes started
    /// together on one empty database all seed it: each creates what the others have not, and a create that loses
    /// the race to another node is no error.
    /// </summary>
    /// <returns>How many objects this call created.</returns>
    public async Task<int> SeedAsync(ContentBundle bundle, string actor, CancellationToken cancellationToken = default)
    {
        var created = 0;
        foreach (var kind in ContentBundle.ImportOrder)
        {
            foreach (var value in bundle.Objects.Where(o => Inventory.KindOf(o) == kind))
            {
                if (await _inventory.Objects.GetAsync(kind, value.Key, cancellationToken) is not null)
                {
                    continue;
                }
                try
                {
                    await _inventory.CreateAsync(value, actor, cancellationToken);
                    created++;
                }
                catch (StoreConflictException e) when (e.Field == "key")
                {
                    // Another node created it a moment ago. A conflict on any other field (two objects of the bundle
                    // claiming one CIDR or MAC) is the content's mistake and fails the start.
                }
            }
        }
        return created;
    }

    /// <summary>Everything an operator keeps in git: all importable kinds, without users, tokens or images.</summary>
    public async Task<ContentBundle> ExportAsync(CancellationToken cancellationToken = default)
    {
        var bundle = new ContentBundle();
        foreach (var kind in ContentBundle.ImportOrder)
        {
            bundle.Objects.AddRange(await _inventory.Objects.ListAsync(kind, cancellationToken));
        }
        return bundle;
    }

    /// <summary>True when nothing has been loaded yet, so the shipped content may be.</summary>
    public async Task<bool> IsStoreEmptyAsync(CancellationToken cancellationToken = default) =>
        await _inventory.Objects.CountAsync(ObjectKind.BootEnvs, cancellationToken) == 0
        && await _inventory.Objects.CountAsync(ObjectKind.Templates, cancellationToken) == 0;
}
