namespace RebarProvision.Store;

/// <summary>How <see cref="ResilientStore"/> treats a slow or failing database.</summary>
public sealed record ResilientStoreOptions
{
    /// <summary>Per attempt; a DHCP client retransmits after about 4 s, so an answer later than that is worthless.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Retries of reads and idempotent lease writes after a transient error, with jittered exponential backoff.</summary>
    public int RetryAttempts { get; init; } = 2;

    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The share of failed calls within <see cref="SamplingDuration"/> that opens the circuit.</summary>
    public double FailureRatio { get; init; } = 0.5;

    public int MinimumThroughput { get; init; } = 10;

    public TimeSpan SamplingDuration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an open circuit refuses calls before letting one through to test the database.</summary>
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(5);
}
