using System.Runtime.InteropServices;
using RebarProvision.Model;
using RebarProvision.Server.Api;
using RebarProvision.Server.Boot;
using RebarProvision.Server.Cluster;
using RebarProvision.Server.Configuration;
using RebarProvision.Server.Objects;
using RebarProvision.Store;

namespace RebarProvision.Server.Images;

/// <summary>
/// Places uploaded images into a bootenv's tree, <c>&lt;dataDir&gt;/files/bootenvs/&lt;name&gt;/</c>, where the HTTP
/// boot service serves them as <c>/files/bootenvs/&lt;name&gt;/…</c>: a kernel, initrd or rootfs blob is hard-linked
/// (copied across file systems) under its image name; an ISO or tar image is exploded with bsdtar (see
/// <see cref="Bsdtar"/>).
/// </summary>
public sealed class ImageInstaller : IDisposable
{
    public static readonly string[] Kinds = ["iso", "tar", "kernel", "initrd", "rootfs"];

    private readonly PeerBlobs _peers;
    private readonly Inventory _inventory;
    private readonly Bsdtar _bsdtar;
    private readonly string _node;
    // One install at a time: two extractions into one tree would interleave, and the disk is the bottleneck anyway.
    private readonly SemaphoreSlim _installing = new(1, 1);

    public ImageInstaller(Inventory inventory, ServerOptions options, PeerBlobs peers)
    {
        _peers = peers;
        _inventory = inventory;
        _node = options.Node;
        BootEnvsRoot = Path.Combine(options.DataDir, "files", "bootenvs");
        _bsdtar = new Bsdtar(TimeSpan.FromMinutes(15));
    }

    public string BootEnvsRoot { get; }

    public void Dispose() => _installing.Dispose();

    private sealed record Plan(string Sha256, string Name, string Kind, string Blob);

    /// <summary>
    /// Installs one uploaded image (<paramref name="sha256"/>), or, without one, every image the bootenv's
    /// <c>os.images</c> lists whose sha256 matches an uploaded blob. The kind comes from the request, else from the
    /// bootenv's listing, else from the image's name (.iso, .tar…; anything else is a plain file).
    /// </summary>
    /// <exception cref="ValidationFailedException">A bad kind or name.</exception>
    /// <exception cref="StoreNotFoundException">The image, or its blob on this node, does not exist.</exception>
    /// <exception cref="ImageInstallException">bsdtar refused the archive, or a path leads out of the tree.</exception>
    public async Task<BootEnvInstallation> InstallAsync(BootEnv bootEnv, string? sha256, string? kind, CancellationToken cancellationToken)
    {
        if (kind is not null && !Kinds.Contains(kind))
        {
            throw new ValidationFailedException("kind", $"must be {string.Join(", ", Kinds)}");
        }
        if (!SafePath.TryClean(bootEnv.Name, out var bootEnvDir) || bootEnvDir.Contains('/', StringComparison.Ordinal))
        {
            throw new ValidationFailedException("name", $"bootenv name '{bootEnv.Name}' cannot name a folder");
        }
        var plans = new List<Plan>();
        var missing = new List<BootImage>();
        if (sha256 is not null)
        {
            plans.Add(await PlanOneAsync(bootEnv, sha256, kind, cancellationToken));
        }
        else
        {
            foreach (var listed in bootEnv.Os.Images)
            {
                if (listed.Sha256 is not null && await _peers.FindOrFetchAsync(listed.Sha256, cancellationToken) is { } blob)
                {
                    plans.Add(new Plan(listed.Sha256.ToLowerInvariant(), FileName(listed), kind ?? listed.Kind, blob));
                }
                else
                {
                    missing.Add(listed);
                }
            }
        }

        var root = Path.Combine(BootEnvsRoot, bootEnvDir);
        var installed = new List<InstalledImage>();
        await _installing.WaitAsync(cancellationToken);
        try
        {
            foreach (var plan in plans)
            {
                installed.Add(plan.Kind is "iso" or "tar"
                    ? await ExtractAsync(plan, root, bootEnvDir, cancellationToken)
                    : Place(plan, root, bootEnvDir));
            }
        }
        finally
        {
            _installing.Release();
        }
        return new BootEnvInstallation(bootEnv.Name, installed, missing);
    }

    private async Task<Plan> PlanOneAsync(BootEnv bootEnv, string sha256, string? kind, CancellationToken cancellationToken)
    {
        if (!ImageStore.IsDigest(sha256))
        {
            throw new ValidationFailedException("image", "must be a sha256 of 64 hex digits");
        }
        var sha = sha256.ToLowerInvariant();
        if (await _inventory.Objects.GetAsync(ObjectKind.Images, sha, cancellationToken) is not Image image)
        {
            throw new StoreNotFoundException($"images/{sha} does not exist; upload it first");
        }
        var blob = await _peers.FindOrFetchAsync(sha, cancellationToken) ?? throw new StoreNotFoundException($"image {sha} ({image.Name}) has no blob on node {_node} nor on a live peer; upload it again");
        var listed = bootEnv.Os.Images.FirstOrDefault(i => string.Equals(i.Sha256, sha, StringComparison.OrdinalIgnoreCase));
        return new Plan(sha, listed is null ? image.Name : FileName(listed), kind ?? listed?.Kind ?? KindOf(image.Name), blob);
    }

    /// <summary>A bootenv image's file name: its name, else the last segment of its URL (how the bootenv refers to it).</summary>
    public static string FileName(BootImage image) =>
        !string.IsNullOrWhiteSpace(image.Name) ? image.Name
        : Uri.TryCreate(image.Url, UriKind.Absolute, out var url) ? Uri.UnescapeDataString(url.Segments[^1])
        : image.Url.Split('/')[^1];

    public static string KindOf(string name)
    {
        var lower = name.ToLowerInvariant();
        return lower.EndsWith(".iso", StringComparison.Ordinal) ? "iso"
            : lower.EndsWith(".tar", StringComparison.Ordinal) || lower.Contains(".tar.", StringComparison.Ordinal)
              || lower.EndsWith(".tgz", StringComparison.Ordinal) || lower.EndsWith(".txz", StringComparison.Ordinal) ? "tar"
            : "kernel";
    }

    private InstalledImage Place(Plan plan, string root, string bootEnvDir)
    {
        if (!SafePath.TryClean(plan.Name, out var relative))
        {
            throw new ValidationFailedException("name", $"image name '{plan.Name}' cannot name a file in the bootenv's tree");
        }
        var target = Path.Combine(root, relative);
        CreateFoldersWithoutLinks(root, relative);
        if (Directory.Exists(target))
        {
            throw new ImageInstallException($"{relative} is a folder in bootenv {bootEnvDir}'s tree", [relative]);
        }
        File.Delete(target);
        string method;
        if (link(plan.Blob, target) == 0)
        {
            method = "link";
        }
        else
        {
            // EXDEV (another file system) or EPERM (hard links forbidden): a copy serves the same bytes.
            File.Copy(plan.Blob, target);
            method = "copy";
        }
        return new InstalledImage(plan.Sha256, plan.Name, plan.Kind, method, $"files/bootenvs/{bootEnvDir}/{relative}", 1);
    }

    private async Task<InstalledImage> ExtractAsync(Plan plan, string root, string bootEnvDir, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(root);
        var extraction = await _bsdtar.ExtractAsync(plan.Blob, root, cancellationToken);
        var removed = RemoveLinksLeavingTree(root);
        if (!extraction.Succeeded)
        {
            throw new ImageInstallException($"bsdtar could not explode {plan.Name} ({plan.Kind}) into bootenv {bootEnvDir}", extraction.Errors);
        }
        return new InstalledImage(plan.Sha256, plan.Name, plan.Kind, "extract", $"files/bootenvs/{bootEnvDir}/",
            extraction.Entries.Count, extraction.Entries, removed.Count > 0 ? removed : null);
    }

    /// <summary>
    /// Creates the folders leading to a file, refusing any that is a symlink: an exploded archive may have left links
    /// in the tree, and creating or writing through one could land anywhere.
    /// </summary>
    private static void CreateFoldersWithoutLinks(string root, string relative)
    {
        Directory.CreateDirectory(root);
        var path = root;
        foreach (var segment in relative.Split('/')[..^1])
        {
            path = Path.Combine(path, segment);
            var folder = new DirectoryInfo(path);
            if (folder.LinkTarget is not null)
            {
                throw new ImageInstallException($"{Path.GetRelativePath(root, path)} is a symlink; an image is never written through one", [Path.GetRelativePath(root, path)]);
            }
            if (!folder.Exists)
            {
                folder.Create();
            }
        }
    }

    /// <summary>
    /// bsdtar extracts a symlink whose target is outside the tree (it only refuses to write through one); the HTTP
    /// service would not follow it, but nothing should, so it goes. Where a link leads is the kernel's answer
    /// (realpath, every link in the chain followed), not the link's text: <c>a -> b/..</c> with <c>b -> /etc</c>
    /// reads as inside and resolves outside. A link that resolves to nothing goes too, as it could lead anywhere later.
    /// </summary>
    private static List<string> RemoveLinksLeavingTree(string root)
    {
        var removed = new List<string>();
        var realRoot = SafePath.RealPath(root);
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            if (entry.LinkTarget is null)
            {
                continue;
            }
            var resolved = SafePath.RealPath(entry.FullName);
            if (resolved != realRoot && !resolved.StartsWith(realRoot + "/", StringComparison.Ordinal))
            {
                entry.Delete();
                removed.Add(Path.GetRelativePath(root, entry.FullName));
            }
        }
        return removed;
    }

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)]
    private static extern int link(string existing, string created);
}
