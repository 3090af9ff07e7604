using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using RebarProvision.Tftp.Perf;
using RebarProvision.Tftp.Transport;

// serve <root> <ip:port>                               runs our server until killed
// load <ip:port> <file> <size> <clients> <blksize> <windowsize>   downloads concurrently, prints seconds
switch (args.FirstOrDefault())
{
    case "serve":
        // Every load client shares the client namespace's one address, so the per-address cap is lifted to the total.
        await using (var meters = new ServiceCollection().AddMetrics().BuildServiceProvider())
        await using (var server = new TftpServer(new DirectoryFileSource(args[1]), new TftpServerOptions { Endpoint = IPEndPoint.Parse(args[2]), MaxTransfersPerAddress = 1000 },
            NullLogger<TftpServer>.Instance, TimeProvider.System, meters.GetRequiredService<IMeterFactory>()))
        {
            using var stop = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
            AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
            server.Start();
            Console.WriteLine($"listening {server.LocalEndpoint}");
            await server.RunAsync(stop.Token);
        }
        return 0;
    case "load":
        var endpoint = IPEndPoint.Parse(args[1]);
        var size = long.Parse(args[3], CultureInfo.InvariantCulture);
        var clients = int.Parse(args[4], CultureInfo.InvariantCulture);
        var blockSize = int.Parse(args[5], CultureInfo.InvariantCulture);
        var window = int.Parse(args[6], CultureInfo.InvariantCulture);
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(300)))
        {
            var clock = Stopwatch.StartNew();
            var sizes = await Task.WhenAll(Enumerable.Range(0, clients).Select(_ =>
                Task.Run(() => new LoadClient(endpoint, blockSize, window).DownloadAsync(args[2], deadline.Token))));
            var seconds = clock.Elapsed.TotalSeconds;
            var wrong = sizes.Count(s => s != size);
            if (wrong > 0)
            {
                Console.Error.WriteLine($"{wrong} of {clients} downloads had the wrong size");
                return 1;
            }
            Console.WriteLine(seconds.ToString("F3", CultureInfo.InvariantCulture));
        }
        return 0;
    default:
        Console.Error.WriteLine("usage: serve <root> <ip:port> | load <ip:port> <file> <size> <clients> <blksize> <windowsize>");
        return 2;
}
