using RebarProvision.Model;
using RebarProvision.Server.Configuration;
using RebarProvision.Server.Objects;

namespace RebarProvision.Server.Images;

/// <summary>
/// Keeps the blobs of <see cref="ImageStore"/> and the Image objects of the inventory in step: an upload becomes a
/// blob and an object naming this node; garbage collection removes blobs no object names and objects whose blob is
/// gone from every node.
/// </summary>
public sealed class ImageLibrary
{
    private readonly ImageStore _store;
    private readonly Inventory _inventory;
    private readonly TimeProvider _clock;
    private readonly string _node;

    public ImageLibrary(ImageStore store, Inventory inventory, ServerOptions options, TimeProvider clock)
    {
        _store = store;
        _inventory = inventory;
        _clock = clock;
        _node = options.Node;
    }

    /// <summary>
    /// Moves a received upload into place and records it. Repeating an upload changes nothing but the name, so a
    /// client whose connection broke simply sends the file again.
    /// </summary>
    /// <returns>The Image object, and whether it was created by this call.</returns>
    public async Task<(Image Image, bool Created)> AddAsync(ImageReceipt.Received received, string name, string actor, CancellationToken cancellationToken)
    {
        await _store.CommitLock.WaitAsync(cancellationToken);
        try
        {
            _store.Commit(received);
            if (await _inventory.Objects.GetAsync(ObjectKind.Images, received.Sha256, cancellationToken) is not Image existing)
            {
                var image = new Image { Sha256 = received.Sha256, Size = received.Size, Name = name, Nodes = [_node] };
                return ((Image)await _inventory.CreateAsync(image, actor, cancellationToken), true);
            }
            if (existing.Name == name && existing.Size == received.Size && existing.Nodes.Contains(_node))
            {
                return (existing, false);
            }
            var updated = existing.CloneAs<Image>();
            updated.Name = name;
            updated.Size = received.Size;
            if (!updated.Nodes.Contains(_node))
            {
                updated.Nodes.Add(_node);
            }
            return ((Image)await _inventory.UpdateAsync(updated, existing.Revision, actor, cancellationToken), false);
        }
        finally
        {
            _store.CommitLock.Release();
        }
    }

    /// <summary>
    /// Deletes blobs that no Image object names, forgets this node in objects whose blob it lost, deletes objects no
    /// node holds any more, and clears temporary files abandoned by interrupted uploads.
    /// </summary>
    public async Task<ImageCollection> CollectAsync(string actor, CancellationToken cancellationToken)
    {
        await _store.CommitLock.WaitAsync(cancellationToken);
        try
        {
            var images = (await _inventory.Objects.ListAsync(ObjectKind.Images, cancellationToken)).Cast<Image>().ToList();
            var named = images.Select(i => i.Sha256.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);

            var blobs = new List<ImageCollection.RemovedBlob>();
            foreach (var sha in _store.List().Where(s => !named.Contains(s)).ToList())
            {
                var size = new FileInfo(Path.Combine(_store.BlobRoot, sha)).Length;
                if (_store.Delete(sha))
                {
                    blobs.Add(new ImageCollection.RemovedBlob(sha, size));
                }
            }

            var removedImages = new List<string>();
            foreach (var image in images.Where(i => _store.Find(i.Sha256) is null))
            {
                var elsewhere = image.Nodes.Where(n => n != _node).ToList();
                if (elsewhere.Count == 0)
                {
                    await _inventory.DeleteAsync(ObjectKind.Images, image.Key, image.Revision, actor, cancellationToken);
                    removedImages.Add(image.Sha256);
                }
                else if (elsewhere.Count != image.Nodes.Count)
                {
                    // Another node still holds the blob (DESIGN §7): keep the object, stop claiming a copy here.
                    var updated = image.CloneAs<Image>();
                    updated.Nodes = elsewhere;
                    await _inventory.UpdateAsync(updated, image.Revision, actor, cancellationToken);
                }
            }

            var temporaries = 0;
            foreach (var abandoned in _store.AbandonedTemporaries(_clock.GetUtcNow()))
            {
                abandoned.Delete();
                temporaries++;
            }
            return new ImageCollection(blobs, removedImages, blobs.Sum(b => b.Size), temporaries);
        }
        finally
        {
            _store.CommitLock.Release();
        }
    }
}
