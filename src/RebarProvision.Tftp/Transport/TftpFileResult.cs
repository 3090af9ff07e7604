using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace RebarProvision.Tftp.Transport;

/// <summary>
/// A file to send (bytes in memory, an open file handle or a seekable stream, with its length) or the TFTP error to
/// answer with. The server disposes it when the transfer ends.
/// </summary>
public sealed class TftpFileResult : IDisposable
{
    /// <summary>
    /// File-backed results read this much at a time: a whole window of 64 blocks of 1468 bytes, or about ninety
    /// lock-step blocks, per positioned read instead of one read per block.
    /// </summary>
    private const int ReadAheadSize = 128 * 1024;

    private readonly ReadOnlyMemory<byte> _bytes;
    private readonly SafeFileHandle? _handle;
    private readonly Stream? _stream;
    private byte[]? _readAhead;
    private long _readAheadOffset;
    private int _readAheadLength;

    private TftpFileResult(TftpErrorCode code, string message)
    {
        IsError = true;
        ErrorCode = code;
        ErrorMessage = message;
    }

    private TftpFileResult(ReadOnlyMemory<byte> bytes, SafeFileHandle? handle, Stream? stream, long length)
    {
        _bytes = bytes;
        _handle = handle;
        _stream = stream;
        Length = length;
        ErrorMessage = "";
    }

    public bool IsError { get; }

    public TftpErrorCode ErrorCode { get; }

    public string ErrorMessage { get; }

    public long Length { get; }

    public static TftpFileResult FromBytes(ReadOnlyMemory<byte> bytes) => new(bytes, null, null, bytes.Length);

    /// <summary>Opens a file to serve through positioned reads; the result owns the handle.</summary>
    public static TftpFileResult FromFile(string path, FileOptions options)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, options);
        try
        {
            return new(default, handle, null, RandomAccess.GetLength(handle));
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Serves a stream; it must be seekable because retransmissions read earlier blocks again. The result owns it.</summary>
    public static TftpFileResult FromStream(Stream stream)
    {
        if (!stream.CanSeek)
        {
            throw new ArgumentException("a TFTP file stream must be seekable", nameof(stream));
        }
        return new(default, null, stream, stream.Length);
    }

    public static TftpFileResult Error(TftpErrorCode code, string message) => new(code, message);

    public static TftpFileResult NotFound() => new(TftpErrorCode.FileNotFound, "File not found");

    public static TftpFileResult AccessViolation() => new(TftpErrorCode.AccessViolation, "Access violation");

    /// <summary>Fills <paramref name="destination"/> from <paramref name="offset"/>; returns the bytes read.</summary>
    public int Read(long offset, Span<byte> destination)
    {
        if (_handle is not null)
        {
            return ReadFile(_handle, offset, destination);
        }
        if (_stream is not null)
        {
            _stream.Position = offset;
            return _stream.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
        }
        var available = (int)Math.Max(0, Math.Min(destination.Length, _bytes.Length - offset));
        _bytes.Span.Slice((int)offset, available).CopyTo(destination);
        return available;
    }

    private int ReadFile(SafeFileHandle handle, long offset, Span<byte> destination)
    {
        if (destination.Length > ReadAheadSize)
        {
            return ReadFully(handle, offset, destination);
        }
        if (_readAhead is null || offset < _readAheadOffset || offset + destination.Length > _readAheadOffset + _readAheadLength)
        {
            _readAhead ??= ArrayPool<byte>.Shared.Rent(ReadAheadSize);
            _readAheadOffset = offset;
            _readAheadLength = ReadFully(handle, offset, _readAhead.AsSpan(0, ReadAheadSize));
        }
        var available = (int)Math.Clamp(_readAheadOffset + _readAheadLength - offset, 0, destination.Length);
        _readAhead.AsSpan((int)(offset - _readAheadOffset), available).CopyTo(destination);
        return available;
    }

    private static int ReadFully(SafeFileHandle handle, long offset, Span<byte> destination)
    {
        var total = 0;
        while (total < destination.Length)
        {
            var read = RandomAccess.Read(handle, destination[total..], offset + total);
            if (read == 0)
            {
                break;
            }
            total += read;
        }
        return total;
    }

    /// <summary>
    /// The whole content converted to netascii (RFC 1350 §1), read through a pooled buffer so only the converted copy
    /// is allocated. The caller bounds <see cref="Length"/>.
    /// </summary>
    public byte[] ReadNetAscii()
    {
        var local = ArrayPool<byte>.Shared.Rent((int)Length);
        try
        {
            return NetAscii.Encode(local.AsSpan(0, Read(0, local.AsSpan(0, (int)Length))));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(local);
        }
    }

    public void Dispose()
    {
        if (_readAhead is not null)
        {
            ArrayPool<byte>.Shared.Return(_readAhead);
            _readAhead = null;
        }
        _handle?.Dispose();
        _stream?.Dispose();
    }
}
