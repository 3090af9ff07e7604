namespace RebarProvision.Model;

/// <summary>A content-addressed blob (kernel, initrd, ISO, tarball) in the data directory.</summary>
public sealed class Image : StoredObject
{
    protected override string KeyValue => Sha256;

    public string Sha256 { get; set; } = "";

    public long Size { get; set; }

    public string Name { get; set; } = "";

    /// <summary>Nodes holding a copy of the blob.</summary>
    public List<string> Nodes { get; set; } = [];

    public override IEnumerable<FieldError> Validate()
    {
        if (Sha256.Length != 64 || !Sha256.All(char.IsAsciiHexDigit))
        {
            yield return new FieldError("sha256", "must be 64 hex digits");
        }
        if (Size < 0)
        {
            yield return new FieldError("size", "must not be negative");
        }
    }
}
