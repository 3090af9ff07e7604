namespace RebarProvision.Rendering;

/// <summary>A rendered per-machine file, ready to send.</summary>
/// <param name="Path">The path it was served for, without a leading slash.</param>
/// <param name="TemplateName">The template that produced it.</param>
/// <param name="Contents">The rendered text (sent as UTF-8).</param>
/// <param name="ContentType">A media type guessed from the path and contents.</param>
/// <param name="ETag">A strong entity tag over the contents, quoted as HTTP wants it.</param>
public sealed record RenderedFile(string Path, string TemplateName, string Contents, string ContentType, string ETag);
