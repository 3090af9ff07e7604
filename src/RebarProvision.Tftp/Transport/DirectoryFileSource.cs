using System.Net;
using System.Runtime.InteropServices;

namespace RebarProvision.Tftp.Transport;

/// <summary>
/// Serves the regular files under a directory. Names go through <see cref="TftpPathSanitizer"/>, then the real path
/// (all symlinks resolved) must still lie under the root's real path, so a symlink leading out is refused.
/// </summary>
public sealed partial class DirectoryFileSource : ITftpFileSource
{
    private readonly string _root;

    public DirectoryFileSource(string root)
    {
        _root = RealPath(Path.GetFullPath(root)) ?? throw new DirectoryNotFoundException($"TFTP root {root} does not exist");
    }

    public ValueTask<TftpFileResult> OpenAsync(string path, IPEndPoint client, CancellationToken cancellationToken) =>
        new(Open(path));

    private TftpFileResult Open(string path)
    {
        if (!TftpPathSanitizer.TrySanitize(path, out var relative))
        {
            return TftpFileResult.AccessViolation();
        }
        var real = RealPath(Path.Combine(_root, relative));
        if (real is null)
        {
            return TftpFileResult.NotFound();
        }
        if (!real.StartsWith(_root.EndsWith('/') ? _root : _root + "/", StringComparison.Ordinal))
        {
            return TftpFileResult.AccessViolation();
        }
        try
        {
            if (!File.Exists(real))
            {
                return TftpFileResult.NotFound();
            }
            return TftpFileResult.FromFile(real, FileOptions.None);
        }
        catch (UnauthorizedAccessException)
        {
            return TftpFileResult.AccessViolation();
        }
        catch (IOException)
        {
            return TftpFileResult.NotFound();
        }
    }

    /// <summary>realpath(3): the canonical path with every symlink resolved, or null if it does not exist.</summary>
    private static string? RealPath(string path)
    {
        var resolved = realpath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
        {
            return null;
        }
        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            free(resolved);
        }
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr realpath(string path, IntPtr resolved);

    [LibraryImport("libc")]
    private static partial void free(IntPtr pointer);
}
