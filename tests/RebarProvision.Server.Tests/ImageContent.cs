using System.Net;
using System.Security.Cryptography;

namespace RebarProvision.Server.Tests;

/// <summary>
/// A deterministic upload body of any size, written in 64 KiB pieces so neither side holds it whole; without a
/// length it goes out chunked, as a streaming client sends it.
/// </summary>
public sealed class ImageContent : HttpContent
{
    private readonly long _size;
    private readonly bool _announceLength;
    private readonly int _seed;

    public ImageContent(long size, bool announceLength = true, int seed = 1)
    {
        _size = size;
        _announceLength = announceLength;
        _seed = seed;
        Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
    }

    /// <summary>The byte at <paramref name="offset"/>, without materialising the body.</summary>
    public static byte ByteAt(long offset, int seed = 1) => (byte)((offset * 31 + (offset >> 13) + seed) & 0xff);

    public static string Sha256Of(long size, int seed = 1)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[65536];
        for (long done = 0; done < size; done += buffer.Length)
        {
            var count = (int)Math.Min(buffer.Length, size - done);
            Fill(buffer.AsSpan(0, count), done, seed);
            hash.AppendData(buffer, 0, count);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        var buffer = new byte[65536];
        for (long done = 0; done < _size; done += buffer.Length)
        {
            var count = (int)Math.Min(buffer.Length, _size - done);
            Fill(buffer.AsSpan(0, count), done, _seed);
            await stream.WriteAsync(buffer.AsMemory(0, count));
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = _size;
        return _announceLength;
    }

    private static void Fill(Span<byte> buffer, long offset, int seed)
    {
        for (var i = 0; i < buffer.Length; i++)
        {
            buffer[i] = ByteAt(offset + i, seed);
        }
    }
}
