namespace RebarProvision.Storm.Perf;

/// <summary>One machine's boot: seconds per stage (NaN where it never got), and what went wrong.</summary>
internal sealed record MachineResult(string Mac, double[] Seconds, string? Error, int DhcpRetries, int TftpRetries, int HttpRetries, long Bytes);
