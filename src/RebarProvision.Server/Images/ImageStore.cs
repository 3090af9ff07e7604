using System.Buffers;
using System.Security.Cryptography;
using RebarProvision.Server.Configuration;

namespace RebarProvision.Server.Images;

/// <summary>
/// Content-addressed image blobs on this node's disk: <c>&lt;dataDir&gt;/images/sha256/&lt;hex&gt;</c>. An upload is
/// streamed into <c>images/tmp/</c> while it is hashed, and only a complete, verified file is renamed into place, so a
/// blob under its name is always whole and always has that digest (DESIGN §7: a peer can fetch it and check).
/// </summary>
public sealed class ImageStore
{
    private const int BufferSize = 1 << 20;

    public ImageStore(ServerOptions options)
    {
        BlobRoot = Path.Combine(options.DataDir, "images", "sha256");
        TempRoot = Path.Combine(options.DataDir, "images", "tmp");
        SizeLimit = options.ImageSizeLimit;
    }

    public string BlobRoot { get; }

    public string TempRoot { get; }

    public long SizeLimit { get; }

    /// <summary>
    /// Held while a blob and its Image object change together (an upload's commit, a garbage collection), so the
    /// collector never sees a blob whose object is about to be written.
    /// </summary>
    public SemaphoreSlim CommitLock { get; } = new(1, 1);

    public static bool IsDigest(string? value) =>
        value is { Length: 64 } && value.All(char.IsAsciiHexDigit);

    /// <summary>The blob's full path when this node holds it, else null.</summary>
    public string? Find(string sha256)
    {
        if (!IsDigest(sha256))
        {
            return null;
        }
        var path = Path.Combine(BlobRoot, sha256.ToLowerInvariant());
        return File.Exists(path) ? path : null;
    }

    /// <summary>Digests of every blob on this node.</summary>
    public IEnumerable<string> List() =>
        Directory.Exists(BlobRoot)
            ? Directory.EnumerateFiles(BlobRoot).Select(Path.GetFileName).Where(IsDigest).Select(n => n!)
            : [];

    /// <summary>
    /// Streams <paramref name="body"/> to a temporary file, hashing as it goes; never holds more than one buffer of it
    /// in memory. The caller commits the result with <see cref="CommitAsync"/> or discards it.
    /// </summary>
    public async Task<ImageReceipt> ReceiveAsync(Stream body, string? expectedSha256, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(TempRoot);
        var temp = Path.Combine(TempRoot, Guid.NewGuid().ToString("n"));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        long size = 0;
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous))
            {
                int read;
                while ((read = await body.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken)) > 0)
                {
                    size += read;
                    if (size > SizeLimit)
                    {
                        File.Delete(temp);
                        return new ImageReceipt.TooLarge(SizeLimit);
                    }
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
            }
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (expectedSha256 is not null && !string.Equals(expectedSha256, actual, StringComparison.OrdinalIgnoreCase))
        {
            File.Delete(temp);
            return new ImageReceipt.Mismatch(expectedSha256, actual);
        }
        return new ImageReceipt.Received(temp, actual, size);
    }

    /// <summary>
    /// Renames a received file into place under its digest; a blob already there is kept (same digest, same bytes)
    /// and the new copy dropped, which is what makes a repeated upload harmless. Call under <see cref="CommitLock"/>.
    /// </summary>
    /// <returns>True when the blob is new on this node.</returns>
    public bool Commit(ImageReceipt.Received received)
    {
        Directory.CreateDirectory(BlobRoot);
        var target = Path.Combine(BlobRoot, received.Sha256);
        if (File.Exists(target))
        {
            File.Delete(received.TempPath);
            return false;
        }
        // Read-only, because bootenv trees hard-link to it: writing through a link would change the blob under its digest.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(received.TempPath, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
        File.Move(received.TempPath, target);
        return true;
    }

    /// <summary>Removes a blob; true when there was one.</summary>
    public bool Delete(string sha256)
    {
        var path = Find(sha256);
        if (path is null)
        {
            return false;
        }
        File.Delete(path);
        return true;
    }

    /// <summary>Temporary files no upload has touched for an hour: left behind by a crash or a dropped connection.</summary>
    public IEnumerable<FileInfo> AbandonedTemporaries(DateTimeOffset now) =>
        Directory.Exists(TempRoot)
            ? new DirectoryInfo(TempRoot).EnumerateFiles().Where(f => now - f.LastWriteTimeUtc > TimeSpan.FromHours(1))
            : [];
}
