using System.Diagnostics;
using System.Globalization;

namespace RebarProvision.Cli.Images;

/// <summary>
/// A one-line progress bar on stderr: <c>[#####-----]  50%  12.3 MB/s</c>, redrawn at most ten times a second with
/// a carriage return so it does not scroll.
/// </summary>
public sealed class ProgressBar(TextWriter output, string label, long total)
{
    private const int Width = 30;
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _lastDrawn = -RedrawInterval;
    private long _done;

    public void Advance(long bytes)
    {
        _done += bytes;
        if (_clock.Elapsed - _lastDrawn >= RedrawInterval)
        {
            Draw();
        }
    }

    /// <summary>Draws the final state and ends the line.</summary>
    public void Finish()
    {
        Draw();
        output.WriteLine();
        output.Flush();
    }

    private void Draw()
    {
        _lastDrawn = _clock.Elapsed;
        var fraction = total <= 0 ? 1 : Math.Clamp((double)_done / total, 0, 1);
        var filled = (int)(fraction * Width);
        var seconds = Math.Max(_clock.Elapsed.TotalSeconds, 0.001);
        var rate = _done / 1_000_000.0 / seconds;
        output.Write(string.Create(CultureInfo.InvariantCulture,
            $"\r{label} [{new string('#', filled)}{new string('-', Width - filled)}] {fraction * 100,3:0}%  {rate,7:0.0} MB/s  {_done / 1_000_000.0:0.0}/{total / 1_000_000.0:0.0} MB"));
        output.Flush();
    }
}
