using RebarProvision.Testing;

namespace RebarProvision.EndToEnd.Tests;

/// <summary>
/// The Debian test OS that tests/images/build-debian-image.sh builds from Debian packages (cached on disk by the
/// script's own hash, so a machine builds it once): the live form (kernel, initrd with live-boot, root squashfs)
/// and the raw disk image, zstd-compressed, with the sha256 of the uncompressed image.
/// </summary>
public sealed record TestImage(string Folder)
{
    public string Kernel => Path.Combine(Folder, "vmlinuz");

    public string Initrd => Path.Combine(Folder, "initrd.img");

    public string Squashfs => Path.Combine(Folder, "filesystem.squashfs");

    public string CompressedDisk => Path.Combine(Folder, "disk.img.zst");

    /// <summary>The sha256 the build recorded for the uncompressed disk image.</summary>
    public string DiskSha256 => File.ReadAllText(Path.Combine(Folder, "disk.img.sha256")).Trim();

    /// <summary>Builds the image, or finds it cached; a first build takes minutes (mmdebstrap, squashfs, GRUB, zstd).</summary>
    public static async Task<TestImage> BuildAsync()
    {
        var script = Path.Combine(AppContext.BaseDirectory, "images", "build-debian-image.sh");
        var built = await ProcessRunner.RunAsync(script, [], TimeSpan.FromMinutes(40));
        Assert.True(built.ExitCode == 0, "building the test image failed: " + built);
        return new TestImage(built.StandardOutput.Trim().Split('\n')[^1]);
    }

    /// <summary>The bootenv tree's files for the live form: what live-cloudinit and image-deploy boot.</summary>
    public Dictionary<string, string> LiveFiles(string bootEnv) => new()
    {
        [$"bootenvs/{bootEnv}/vmlinuz"] = Kernel,
        [$"bootenvs/{bootEnv}/initrd.img"] = Initrd,
        [$"bootenvs/{bootEnv}/filesystem.squashfs"] = Squashfs,
    };
}
