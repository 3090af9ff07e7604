namespace RebarProvision.Model;

/// <summary>
/// What a machine boots: a kernel with its initrds and command line, the OS images they come from, and the
/// per-machine files (cloud-init, Ignition, kickstart, ...) rendered from templates at stable paths.
/// </summary>
public sealed class BootEnv : StoredObject
{
    protected override string KeyValue => Name;

    public string Name { get; set; } = "";

    public string? Description { get; set; }

    public OsInfo Os { get; set; } = new();

    /// <summary>Path of the kernel relative to the bootenv's file tree (<c>/files/bootenvs/{name}/</c>), or a URL.</summary>
    public string? Kernel { get; set; }

    public List<string> Initrds { get; set; } = [];

    /// <summary>The kernel command line, a Scriban template.</summary>
    public string BootParams { get; set; } = "";

    public List<BootTemplate> Templates { get; set; } = [];

    public List<string> RequiredParams { get; set; } = [];

    public List<string> OptionalParams { get; set; } = [];

    /// <summary>Only for machines not yet known (the discovery bootenv).</summary>
    public bool OnlyUnknown { get; set; }

    public string Arch { get; set; } = "amd64";

    public override IEnumerable<FieldError> Validate()
    {
        foreach (var error in Names.Check("name", Name))
        {
            yield return error;
        }
        if (Arch is not ("amd64" or "arm64" or "any"))
        {
            yield return new FieldError("arch", "must be amd64, arm64 or any");
        }
        for (var i = 0; i < Os.Images.Count; i++)
        {
            foreach (var error in Os.Images[i].Validate($"os.images[{i}]"))
            {
                yield return error;
            }
        }
        for (var i = 0; i < Templates.Count; i++)
        {
            foreach (var error in Templates[i].Validate($"templates[{i}]"))
            {
                yield return error;
            }
        }
        var duplicate = Templates.GroupBy(t => t.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            yield return new FieldError("templates", $"names '{duplicate.Key}' twice");
        }
    }
}
