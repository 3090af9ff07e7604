namespace RebarProvision.Storm.Perf;

/// <summary>Nearest-rank percentiles, in seconds, of the machines that finished a stage.</summary>
internal sealed record StagePercentiles(int Count, double P50, double P95, double P99, double Max)
{
    public static StagePercentiles Of(IEnumerable<double> seconds)
    {
        var sorted = seconds.Where(s => !double.IsNaN(s)).Order().ToArray();
        if (sorted.Length == 0)
        {
            return new StagePercentiles(0, double.NaN, double.NaN, double.NaN, double.NaN);
        }
        double Rank(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new StagePercentiles(sorted.Length, Rank(0.50), Rank(0.95), Rank(0.99), sorted[^1]);
    }
}
