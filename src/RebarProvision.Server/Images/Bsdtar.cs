using System.Diagnostics;
using System.Text;

namespace RebarProvision.Server.Images;

/// <summary>
/// Explodes ISO 9660 and tar images with Debian's <c>bsdtar</c> (libarchive-tools), run as a process with a deadline.
/// We use bsdtar rather than reading ISO 9660 ourselves: libarchive reads ISO 9660 with Rock Ridge and Joliet, and
/// every tar flavour and compression, from one command line. Without <c>-P</c> it strips leading '/', refuses entries
/// containing "..", and refuses to extract through a symlink, so nothing lands outside the target directory
/// (ImageInstallTests proves it with a hostile tar). It would still make FIFOs and, as root, device nodes, which a
/// bootenv tree has no use for and the boot service must never open: an archive holding one is refused after a
/// listing pass, before anything is written.
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
        var listing = await RunAsync(["-t", "-v", "-f", archive], cancellationToken);
        if (listing.Error is not null)
        {
            return new Extraction(false, [], [listing.Error]);
        }
        if (listing.ExitCode != 0)
        {
            return new Extraction(false, [], listing.Stderr);
        }
        // ls -l style lines: the first character is the entry's type. b, c, p and s are devices, FIFOs and sockets.
        var special = listing.Stdout.Where(l => l.Length > 0 && l[0] is 'b' or 'c' or 'p' or 's').ToList();
        if (special.Count > 0)
        {
            return new Extraction(false, [], special.Select(l => $"refused: the archive holds a device, FIFO or socket: {l}").ToList());
        }
        // Owners and set-id bits in an image mean nothing on the server, which serves the files read-only.
        var run = await RunAsync(["-x", "-v", "--no-same-owner", "--no-same-permissions", "-f", archive, "-C", directory], cancellationToken);
        if (run.Error is not null)
        {
            return new Extraction(false, [], [run.Error]);
        }
        var lines = run.Stderr;
        // -v reports "x <entry>" per entry, and "x <entry>: <reason>" for an entry it refused.
        var refused = lines.Where(l => !l.StartsWith("x ", StringComparison.Ordinal) || l.Contains(": ", StringComparison.Ordinal))
            .Where(l => !l.StartsWith("bsdtar: Removing leading", StringComparison.Ordinal))
            .ToList();
        var entries = lines.Where(l => l.StartsWith("x ", StringComparison.Ordinal) && (run.ExitCode == 0 || !l.Contains(": ", StringComparison.Ordinal)))
            .Select(l => l[2..])
            .ToList();
        return new Extraction(run.ExitCode == 0, entries, run.ExitCode == 0 ? [] : refused);
    }

    /// <summary>One bsdtar run: its exit code and output lines, or why it did not run to the end.</summary>
    private sealed record Run(int ExitCode, IReadOnlyList<string> Stdout, IReadOnlyList<string> Stderr, string? Error);

    private async Task<Run> RunAsync(string[] arguments, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(Command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
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
            return new Run(-1, [], [], $"cannot run {Command} ({e.Message}); install Debian's libarchive-tools");
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
                return new Run(-1, [], [], $"bsdtar did not finish within {Timeout.TotalSeconds:0} s");
            }
            process.WaitForExit();
            var output = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            lock (stderr)
            {
                return new Run(process.ExitCode, output,
                    stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), null);
            }
        }
    }
}
