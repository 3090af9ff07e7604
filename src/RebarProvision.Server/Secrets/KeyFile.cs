using System.Security.Cryptography;
using RebarProvision.Server.Configuration;

namespace RebarProvision.Server.Secrets;

/// <summary>Random keys kept in the data directory's <c>keys/</c> folder, readable by the server's user only.</summary>
public static class KeyFile
{
    /// <summary>rwx for the owner only: what the data directory and its key and certificate folders are created with.</summary>
    public const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>rw for the owner only: what key files are created with, and all a key file may allow.</summary>
    public const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>The key in <c>keys/&lt;name&gt;</c>, made with <paramref name="length"/> random bytes when missing.</summary>
    /// <exception cref="ConfigurationException">The key file is readable or writable by others than its owner.</exception>
    public static byte[] LoadOrCreate(string dataDir, string name, int length)
    {
        var path = Path.Combine(dataDir, "keys", name);
        if (File.Exists(path))
        {
            RequireOwnerOnly(path);
            return File.ReadAllBytes(path);
        }
        CreateOwnerOnlyFolder(Path.GetDirectoryName(path)!);
        var key = RandomNumberGenerator.GetBytes(length);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            // Created with its final mode (0600), so the key is never readable by others, not even for a moment.
            options.UnixCreateMode = OwnerOnlyFile;
        }
        using (var file = new FileStream(path, options))
        {
            file.Write(key);
        }
        return key;
    }

    /// <summary>A folder created 0700 (an existing one is left as the operator made it).</summary>
    public static void CreateOwnerOnlyFolder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, OwnerOnlyFolder);
        }
    }

    /// <summary>
    /// Refuses a key whose mode lets group or others at it, as ssh does with a private key: whoever else could read
    /// it could decrypt every secure param or forge machine tokens, so it is not ours to use silently.
    /// </summary>
    private static void RequireOwnerOnly(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        var mode = File.GetUnixFileMode(path);
        if ((mode & ~OwnerOnlyFile) != 0)
        {
            throw new ConfigurationException(
                $"key file {path} has mode {Convert.ToString((int)mode, 8)}: others than its owner may use it; run chmod 600 {path} (and check who read it)");
        }
    }
}
