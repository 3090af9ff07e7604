namespace RebarProvision.Server.Images;

/// <summary>What a garbage collection removed: blobs no Image object named, and Image objects no node holds.</summary>
public sealed record ImageCollection(
    IReadOnlyList<ImageCollection.RemovedBlob> RemovedBlobs,
    IReadOnlyList<string> RemovedImages,
    long FreedBytes,
    int AbandonedUploads)
{
    public sealed record RemovedBlob(string Sha256, long Size);
}
