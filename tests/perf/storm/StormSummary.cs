using System.Text;

namespace RebarProvision.Storm.Perf;

/// <summary>What one storm against one server came to: the figures run.sh puts side by side.</summary>
internal sealed record StormSummary
{
    public required string Label { get; init; }
    public int Machines { get; init; }
    public int Done { get; init; }
    public int Errors { get; init; }
    public List<string> ErrorSamples { get; init; } = [];
    public int DhcpRetries { get; init; }
    public int TftpRetries { get; init; }
    public int HttpRetries { get; init; }
    public double AllDoneSeconds { get; init; }
    public double ServerCpuSeconds { get; init; }
    public double ServerPeakRssMiB { get; init; }
    public double ClientMiB { get; init; }
    public Dictionary<string, StagePercentiles> Stages { get; init; } = [];

    public static StormSummary Of(string label, IReadOnlyList<MachineResult> results, double allDone, ServerUsage? usage)
    {
        var stages = Enum.GetValues<Stage>().ToDictionary(StageNames.Of, stage => StagePercentiles.Of(results.Select(r => r.Seconds[(int)stage])));
        return new StormSummary
        {
            Label = label,
            Machines = results.Count,
            Done = results.Count(r => r.Error is null),
            Errors = results.Count(r => r.Error is not null),
            ErrorSamples = results.Where(r => r.Error is not null).GroupBy(r => r.Error).Select(g => $"{g.Count()}x {g.Key} (e.g. {g.First().Mac})").Take(8).ToList(),
            DhcpRetries = results.Sum(r => r.DhcpRetries),
            TftpRetries = results.Sum(r => r.TftpRetries),
            HttpRetries = results.Sum(r => r.HttpRetries),
            AllDoneSeconds = allDone,
            ServerCpuSeconds = usage?.CpuSecondsSinceStart ?? double.NaN,
            ServerPeakRssMiB = usage?.PeakMiB ?? double.NaN,
            ClientMiB = results.Sum(r => r.Bytes) / 1048576.0,
            Stages = stages,
        };
    }

    public string Describe()
    {
        var text = new StringBuilder();
        text.AppendLine($"storm {Label}: {Done}/{Machines} machines done in {AllDoneSeconds:F1} s, {Errors} errors, retries dhcp/tftp/http {DhcpRetries}/{TftpRetries}/{HttpRetries}, " +
            $"server CPU {ServerCpuSeconds:F1} s, server peak RSS {ServerPeakRssMiB:F0} MiB, {ClientMiB:F0} MiB received");
        text.AppendLine($"  {"stage",-12} {"p50 ms",9} {"p95 ms",9} {"p99 ms",9} {"max ms",9}");
        foreach (var (name, p) in Stages)
        {
            text.AppendLine($"  {name,-12} {p.P50 * 1000,9:F1} {p.P95 * 1000,9:F1} {p.P99 * 1000,9:F1} {p.Max * 1000,9:F1}");
        }
        foreach (var error in ErrorSamples)
        {
            text.AppendLine($"  error: {error}");
        }
        return text.ToString();
    }
}
