namespace RebarProvision.Cli;

/// <summary>What <c>rebarctl</c> exits with; scripts and CI pipelines rely on these numbers, so they never change.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The command line, an input file or a setting is wrong.</summary>
    public const int UsageError = 1;

    /// <summary>The server refused the request; its problem details are printed.</summary>
    public const int ApiError = 2;

    /// <summary>The machine reported a failed install (or was marked failed) while we waited; or the rollout we waited for failed or was stopped.</summary>
    public const int MachineFailed = 3;

    /// <summary>The wait ran out of time before the machine reached the state.</summary>
    public const int Timeout = 4;

    /// <summary>The server could not be reached (refused, unresolvable, TLS not trusted).</summary>
    public const int CannotConnect = 5;

    /// <summary>Ctrl+C stopped a command that was not meant to run until interrupted (the shell's 128 + SIGINT).</summary>
    public const int Interrupted = 130;

    public static string Description { get; } = """
        Exit codes:
          0  ok
          1  usage error (bad arguments, unreadable input file or configuration)
          2  API error (the server's problem details are printed: title, detail and each field)
          3  machine failed (its state message is printed), or the rollout waited for failed or was stopped
          4  timeout (the machine or rollout did not get there in time)
          5  cannot connect to the server
          130 interrupted by Ctrl+C (events watch exits 0)
        """;
}
