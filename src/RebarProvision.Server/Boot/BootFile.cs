using RebarProvision.Rendering;

namespace RebarProvision.Server.Boot;

/// <summary>What a boot path resolves to: a document rendered for one machine, or a file on disk.</summary>
public abstract record BootFile
{
    public sealed record Rendered(RenderedFile File) : BootFile;

    public sealed record OnDisk(string FullPath) : BootFile;
}
