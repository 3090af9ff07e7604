using System.Security.Cryptography;

namespace RebarProvision.Server.Secrets;

/// <summary>Random keys kept in the data directory's <c>keys/</c> folder, readable by the server's user only.</summary>
public static class KeyFile
{
    /// <summary>The key in <c>keys/&lt;name&gt;</c>, made with <paramref name="length"/> random bytes when missing.</summary>
    public static byte[] LoadOrCreate(string dataDir, string name, int length)
    {
        var path = Path.Combine(dataDir, "keys", name);
        if (File.Exists(path))
        {
            return File.ReadAllBytes(path);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var key = RandomNumberGenerator.GetBytes(length);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            // Created with its final mode (0600), so the key is never readable by others, not even for a moment.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var file = new FileStream(path, options))
        {
            file.Write(key);
        }
        return key;
    }
}
