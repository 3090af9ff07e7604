namespace RebarProvision.Model;

/// <summary>An upstream artefact a bootenv needs, with its checksum so a download or upload can be verified.</summary>
public sealed class BootImage
{
    /// <summary>File name inside the bootenv's tree; defaults to the last segment of <see cref="Url"/>.</summary>
    public string? Name { get; set; }

    public string Url { get; set; } = "";

    public string? Sha256 { get; set; }

    /// <summary>iso, tar, kernel, initrd or rootfs.</summary>
    public string Kind { get; set; } = "kernel";

    public IEnumerable<FieldError> Validate(string prefix)
    {
        if (string.IsNullOrWhiteSpace(Url))
        {
            yield return new FieldError($"{prefix}.url", "is required");
        }
        if (Kind is not ("iso" or "tar" or "kernel" or "initrd" or "rootfs"))
        {
            yield return new FieldError($"{prefix}.kind", "must be iso, tar, kernel, initrd or rootfs");
        }
        if (Sha256 is not null && (Sha256.Length != 64 || !Sha256.All(char.IsAsciiHexDigit)))
        {
            yield return new FieldError($"{prefix}.sha256", "must be 64 hex digits");
        }
    }
}
