namespace RebarProvision.Model;

/// <summary>
/// Which machines a rolling reimage takes: all conditions given must hold (profile and bootEnv match as the
/// machine list's <c>?profiles=</c> and <c>?bootEnv=</c> filters do; names are machine names or uuids).
/// </summary>
public sealed class RolloutSelector
{
    public string? Profile { get; set; }

    public string? BootEnv { get; set; }

    public List<string>? Names { get; set; }
}
