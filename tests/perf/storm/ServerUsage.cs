using System.Globalization;

namespace RebarProvision.Storm.Perf;

/// <summary>
/// CPU seconds and peak resident memory of the server's processes and their children (nginx's workers), read from
/// /proc: the client shares the machine with them, so wall-clock alone says as much about the neighbours as the server.
/// </summary>
internal sealed class ServerUsage : IDisposable
{
    // USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every Linux architecture we run on.
    private const double TicksPerSecond = 100;

    private readonly int[] _roots;
    private readonly double _cpuAtStart;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;
    private long _peakKiB;

    public ServerUsage(int[] roots)
    {
        _roots = roots;
        _cpuAtStart = CpuSeconds();
        _sampling = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                _peakKiB = Math.Max(_peakKiB, ResidentKiB());
                try
                {
                    await Task.Delay(100, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        });
    }

    public double CpuSecondsSinceStart => CpuSeconds() - _cpuAtStart;

    public double PeakMiB => Math.Max(_peakKiB, ResidentKiB()) / 1024.0;

    private IEnumerable<int> Processes()
    {
        var seen = new HashSet<int>();
        var pending = new Stack<int>(_roots);
        while (pending.TryPop(out var pid))
        {
            if (!seen.Add(pid) || !Directory.Exists($"/proc/{pid}"))
            {
                continue;
            }
            yield return pid;
            foreach (var task in SafeList($"/proc/{pid}/task"))
            {
                foreach (var child in Read($"{task}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    pending.Push(int.Parse(child, CultureInfo.InvariantCulture));
                }
            }
        }
    }

    private double CpuSeconds() => Processes().Sum(pid =>
    {
        // Fields after the parenthesised command: state is field 3, utime 14, stime 15 (proc(5)).
        var stat = Read($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return fields.Length > 12 ? (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond : 0;
    });

    private long ResidentKiB() => Processes().Sum(pid =>
        Read($"/proc/{pid}/status").Split('\n').FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)) is { } line
            ? long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture)
            : 0);

    private static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static string[] SafeList(string path)
    {
        try
        {
            return Directory.GetDirectories(path);
        }
        catch (IOException)
        {
            return [];
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _sampling.Wait();
        _stop.Dispose();
    }
}
