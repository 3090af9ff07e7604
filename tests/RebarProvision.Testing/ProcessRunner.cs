using System.Diagnostics;
using System.Text;

namespace RebarProvision.Testing;

/// <summary>Runs a peer program (dhclient, tftp, curl, ...) to completion with a deadline, capturing its output.</summary>
public static class ProcessRunner
{
    public sealed record Result(int ExitCode, string StandardOutput, string StandardError, bool TimedOut)
    {
        public string Output => StandardOutput + StandardError;

        public override string ToString() =>
            $"exit={ExitCode}{(TimedOut ? " (timed out)" : "")}\n--- stdout\n{StandardOutput}\n--- stderr\n{StandardError}";
    }

    public static async Task<Result> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout, string? standardInput = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = standardInput is not null,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (stdout) { stdout.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (stderr) { stderr.AppendLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
            process.StandardInput.Close();
        }
        using var cts = new CancellationTokenSource(timeout);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            timedOut = true;
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.WaitForExit();
        lock (stdout)
        {
            lock (stderr)
            {
                return new Result(timedOut ? -1 : process.ExitCode, stdout.ToString(), stderr.ToString(), timedOut);
            }
        }
    }

    public static Task<Result> RunAsync(string fileName, params string[] arguments) =>
        RunAsync(fileName, arguments, TimeSpan.FromSeconds(60));

    /// <summary>Runs and throws with the whole output when the exit code is not 0.</summary>
    public static async Task<Result> RunCheckedAsync(string fileName, params string[] arguments)
    {
        var result = await RunAsync(fileName, arguments);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} failed: {result}");
        }
        return result;
    }
}
