using System.Diagnostics;
using System.Text;

namespace RebarProvision.Server.Tests;

/// <summary>The published server binary (rebar-provision.dll from the build output) run as a real process.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public int ApiPort { get; }

    public int HttpPort { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    private ServerProcess(Process process, int apiPort, int httpPort)
    {
        _process = process;
        ApiPort = apiPort;
        HttpPort = httpPort;
    }

    public static ServerProcess Start(IEnumerable<string> args, IDictionary<string, string>? environment = null) =>
        Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "rebar-provision.dll")], args, environment);

    /// <summary>Starts a published, self-contained server binary on loopback ports of its own.</summary>
    public static ServerProcess StartPublished(string executable, IEnumerable<string> args, IDictionary<string, string>? environment = null) =>
        Start(executable, [], args, environment);

    private static ServerProcess Start(string executable, string[] prefix, IEnumerable<string> args, IDictionary<string, string>? environment)
    {
        var apiPort = FreePort.Tcp();
        var httpPort = FreePort.Tcp();
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])[.. prefix, "--api-port", apiPort.ToString(), "--api-tls", "false", "--http-port", httpPort.ToString(), "--tftp-port", "0", "--listen", "127.0.0.1", .. args])
        {
            info.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        var process = Process.Start(info)!;
        var server = new ServerProcess(process, apiPort, httpPort);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The process id, to signal it (SIGSTOP a node to freeze it).</summary>
    public int Pid => _process.Id;

    public int ExitCode => _process.ExitCode;

    /// <summary>Waits until /readyz answers 200, or fails with the server's output.</summary>
    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                Assert.Fail($"server exited with {_process.ExitCode}:\n{Output}");
            }
            try
            {
                if ((await client.GetAsync($"http://127.0.0.1:{ApiPort}/readyz")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(100);
        }
        Assert.Fail($"server not ready within {timeout}:\n{Output}");
    }

    /// <summary>SIGKILL: the node dies without a word to its peers or the database, as in a power cut.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
