using System.Globalization;
using System.Text;

namespace RebarProvision.Storm.Perf;

/// <summary>
/// The table of RESULTS.md: each label's median over its runs (run.sh alternates ours and the stand-in, so both meet
/// the same moments of a shared machine), side by side with the ratio ours/theirs.
/// </summary>
internal static class Comparison
{
    public static string Table(IReadOnlyList<StormSummary> runs)
    {
        var labels = runs.Select(r => r.Label).Distinct().ToList();
        var text = new StringBuilder();
        text.AppendLine($"| figure (median of runs) | {string.Join(" | ", labels)} |{(labels.Count == 2 ? " ratio |" : "")}");
        text.AppendLine($"|---|{string.Concat(labels.Select(_ => "---:|"))}{(labels.Count == 2 ? "---:|" : "")}");
        void Row(string name, Func<StormSummary, double> figure, string format)
        {
            var values = labels.Select(l => Median(runs.Where(r => r.Label == l).Select(figure))).ToList();
            var ratio = labels.Count == 2 && values[1] != 0 && !double.IsNaN(values[0]) ? $" {(values[0] / values[1]).ToString("F2", CultureInfo.InvariantCulture)} |" : labels.Count == 2 ? " - |" : "";
            text.AppendLine($"| {name} | {string.Join(" | ", values.Select(v => v.ToString(format, CultureInfo.InvariantCulture)))} |{ratio}");
        }
        Row("runs", r => runs.Count(x => x.Label == r.Label), "F0");
        Row("machines", r => r.Machines, "F0");
        Row("all done (s)", r => r.AllDoneSeconds, "F1");
        Row("errors", r => r.Errors, "F0");
        Row("retries dhcp", r => r.DhcpRetries, "F0");
        Row("retries tftp", r => r.TftpRetries, "F0");
        Row("retries http", r => r.HttpRetries, "F0");
        Row("server CPU (s)", r => r.ServerCpuSeconds, "F1");
        Row("server peak RSS (MiB)", r => r.ServerPeakRssMiB, "F0");
        foreach (var stage in runs[0].Stages.Keys)
        {
            Row($"{stage} p50 (ms)", r => r.Stages[stage].P50 * 1000, "F1");
            Row($"{stage} p95 (ms)", r => r.Stages[stage].P95 * 1000, "F1");
            Row($"{stage} p99 (ms)", r => r.Stages[stage].P99 * 1000, "F1");
        }
        return text.ToString();
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
