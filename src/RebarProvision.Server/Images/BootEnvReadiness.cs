using RebarProvision.Model;
using RebarProvision.Server.Boot;
using RebarProvision.Server.Configuration;

namespace RebarProvision.Server.Images;

/// <summary>
/// Whether this node holds the files a bootenv boots (its kernel and initrds under
/// <c>&lt;dataDir&gt;/files/bootenvs/&lt;name&gt;/</c>), so an operator and a booting machine learn which file is missing
/// on which node instead of a bare 404 from iPXE. Files given as absolute URLs are fetched from elsewhere and not checked.
/// </summary>
public sealed class BootEnvReadiness
{
    private readonly ServerOptions _options;

    public BootEnvReadiness(ServerOptions options) => _options = options;

    public sealed record File(string Path, string Kind, bool Present);

    public sealed record Report(string BootEnv, string Node, IReadOnlyList<File> Files)
    {
        public bool Ready => Files.All(f => f.Present);

        /// <summary>The operator's sentence: which files are missing on which node, or null when ready.</summary>
        public string? Problem => Ready ? null
            : $"bootenv '{BootEnv}' is missing {string.Join(", ", Files.Where(f => !f.Present).Select(f => $"{f.Kind} {f.Path}"))} on node {Node} (upload and install its images: rebarctl images upload, then POST /api/v1/bootenvs/{BootEnv}/install)";
    }

    public Report Check(BootEnv bootEnv)
    {
        var wanted = new List<(string Path, string Kind)>();
        if (!string.IsNullOrEmpty(bootEnv.Kernel))
        {
            wanted.Add((bootEnv.Kernel, "kernel"));
        }
        wanted.AddRange(bootEnv.Initrds.Select(i => (i, "initrd")));
        // Where ImageInstaller places a bootenv's files, and where HTTP boot serves them from (files/bootenvs/<name>/).
        var root = Path.Combine(_options.DataDir, "files", "bootenvs", bootEnv.Name);
        var files = wanted
            .Where(w => !Uri.TryCreate(w.Path, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https" or "tftp"))
            .Select(w => new File(w.Path, w.Kind, SafePath.Resolve(root, w.Path) is not null))
            .ToList();
        return new Report(bootEnv.Name, _options.Node, files);
    }
}
