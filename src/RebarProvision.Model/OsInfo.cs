namespace RebarProvision.Model;

public sealed class OsInfo
{
    public string? Family { get; set; }

    public string? Version { get; set; }

    public List<BootImage> Images { get; set; } = [];
}
