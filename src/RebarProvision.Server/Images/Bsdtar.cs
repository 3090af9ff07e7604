using System.Diagnostics;
using System.Text;

namespace RebarProvision.Server.Images;

/// <summary>
/// Explodes ISO 9660 and tar images with Debian's <c>bsdtar</c> (libarchive-tools), run as a process with a deadline.
/// We use bsdtar rather than reading ISO 9660 ourselves: libarchive reads ISO 9660 with Rock Ridge and Joliet, and
/// every tar flavour and compression, from one command line. Without <c>-P</c> it strips leading '/', refuses entries
/// containing "..", and refuses to extract through a symlink, so nothing lands outside the target directory
/// (ImageInstallTests proves it with a hostile tar).
/// </summary>
public sealed class Bsdtar
{
    public const string Command = "bsdtar";

    public Bsdtar(TimeSpan timeout) => Timeout = timeout;

    public TimeSpan Timeout { get; }

    /// <summary>The outcome of one extraction: the entries written, and bsdtar's complaints when it failed.</summary>
    public sealed record Extraction(bool Succeeded, IReadOnlyList<string> Entries, IReadOnlyList<string> Errors);

    public async Task<Extraction> ExtractAsync(string archive, string directory, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(Command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Owners and set-id bits in an image mean nothing on the server, which serves the files read-only.
        foreach (var argument in new[] { "-x", "-v", "--no-same-owner", "--no-same-permissions", "-f", archive, "-C", directory })
        {
            info.ArgumentList.Add(argument);
        }
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("bsdtar did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new Extraction(false, [], [$"cannot run {Command} ({e.Message}); install Debian's libarchive-tools"]);
        }
        using (process)
        {
            var stderr = new StringBuilder();
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (stderr) { stderr.AppendLine(e.Data); } } };
            process.BeginErrorReadLine();
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(Timeout);
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
                cancellationToken.ThrowIfCancellationRequested();
                return new Extraction(false, [], [$"bsdtar did not finish within {Timeout.TotalSeconds:0} s"]);
            }
            process.WaitForExit();
            await stdout;
            string[] lines;
            lock (stderr)
            {
                lines = stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            }
            // -v reports "x <entry>" per entry, and "x <entry>: <reason>" for an entry it refused.
            var refused = lines.Where(l => !l.StartsWith("x ", StringComparison.Ordinal) || l.Contains(": ", StringComparison.Ordinal))
                .Where(l => !l.StartsWith("bsdtar: Removing leading", StringComparison.Ordinal))
                .ToList();
            var entries = lines.Where(l => l.StartsWith("x ", StringComparison.Ordinal) && (process.ExitCode == 0 || !l.Contains(": ", StringComparison.Ordinal)))
                .Select(l => l[2..])
                .ToList();
            return new Extraction(process.ExitCode == 0, entries, process.ExitCode == 0 ? [] : refused);
        }
    }
}
