using System.Diagnostics.Metrics;
using System.Net;
using RebarProvision.Server.Configuration;
using RebarProvision.Tftp.Transport;

namespace RebarProvision.Server.Tftp;

/// <summary>Runs the TFTP server (read-only, RFC 1350 + option extensions) on the configured port over the boot files.</summary>
public sealed class TftpService : BackgroundService
{
    private readonly TftpServer _server;

    public TftpService(BootTftpSource files, ServerOptions options, ILogger<TftpServer> logger, TimeProvider time, IMeterFactory meters)
    {
        var listen = options.Listen is null ? IPAddress.Any : IPAddress.Parse(options.Listen);
        _server = new TftpServer(files, new TftpServerOptions
        {
            Endpoint = new IPEndPoint(listen, options.TftpPort),
            MaxTransfersPerAddress = options.TftpMaxTransfersPerAddress,
        }, logger, time, meters);
        // Bind now, so a port that cannot be had stops start-up with a clear error instead of failing in the background.
        _server.Start();
    }

    public IPEndPoint LocalEndpoint => _server.LocalEndpoint;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => _server.RunAsync(stoppingToken);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await _server.DisposeAsync();
    }
}
