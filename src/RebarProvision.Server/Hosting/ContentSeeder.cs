using RebarProvision.Server.Configuration;
using RebarProvision.Server.Content;

namespace RebarProvision.Server.Hosting;

/// <summary>Loads the shipped (or configured) content into an empty store once, at start.</summary>
public static class ContentSeeder
{
    /// <summary>Where the shipped content is: the configured folder, else the copy published next to the binary.</summary>
    public static string? ContentRoot(ServerOptions options)
    {
        if (!string.IsNullOrEmpty(options.Content))
        {
            return Directory.Exists(options.Content)
                ? options.Content
                : throw new Configuration.ConfigurationException($"content: folder '{options.Content}' does not exist");
        }
        var shipped = Path.Combine(AppContext.BaseDirectory, "content");
        return Directory.Exists(shipped) ? shipped : null;
    }

    public static async Task<int> SeedAsync(ServerOptions options, ContentImporter importer, ILogger logger, CancellationToken cancellationToken)
    {
        var root = ContentRoot(options);
        if (root is null)
        {
            logger.LogWarning("No content folder found; the store starts empty");
            return 0;
        }
        if (!await importer.IsStoreEmptyAsync(cancellationToken))
        {
            logger.LogInformation("Store already has content; not loading {ContentRoot}", root);
            return 0;
        }
        var count = await importer.SeedAsync(ContentDirectory.Read(root), "content-loader", cancellationToken);
        logger.LogInformation("Loaded {Count} objects from {ContentRoot} into the empty store", count, root);
        return count;
    }
}
