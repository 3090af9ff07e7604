using RebarProvision.Model;
using RebarProvision.Server.Objects;
using RebarProvision.Server.Api;

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
