namespace RebarProvision.Server.Images;

/// <summary>What became of an upload's bytes: a verified temporary file, or why they were refused (nothing kept).</summary>
public abstract record ImageReceipt
{
    public sealed record Received(string TempPath, string Sha256, long Size) : ImageReceipt;

    public sealed record TooLarge(long Limit) : ImageReceipt;

    public sealed record Mismatch(string Expected, string Actual) : ImageReceipt;
}
