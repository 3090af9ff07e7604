using RebarProvision.Tftp.Transport;

namespace RebarProvision.Tftp.Tests;

/// <summary>An extra server a test starts with its own options; disposing stops it and waits for its loop.</summary>
public sealed class RunningServer : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;

    public RunningServer(TftpServer server, MetricsRecorder metrics)
    {
        Server = server;
        Metrics = metrics;
        _running = server.RunAsync(_stop.Token);
    }

    public TftpServer Server { get; }

    public MetricsRecorder Metrics { get; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _running;
        await Server.DisposeAsync();
        Metrics.Dispose();
        _stop.Dispose();
    }
}
