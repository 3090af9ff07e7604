namespace RebarProvision.Server.Images;

/// <summary>
/// One image placed into a bootenv's tree. <paramref name="Path"/> is where the HTTP boot service serves it
/// (<c>files/bootenvs/&lt;name&gt;/…</c>); <paramref name="Method"/> is link, copy or extract; an extracted image
/// lists its <paramref name="Entries"/> and any symlinks pointing out of the tree it removed (<paramref name="RemovedLinks"/>).
/// </summary>
public sealed record InstalledImage(
    string Sha256,
    string Name,
    string Kind,
    string Method,
    string Path,
    int Files,
    IReadOnlyList<string>? Entries = null,
    IReadOnlyList<string>? RemovedLinks = null);
