using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RebarProvision.Testing;
using RebarProvision.Tftp.Transport;

namespace RebarProvision.Tftp.Tests;

/// <summary>
/// A server namespace running our TFTP server on 10.77.0.1 over a directory of random files, and a client namespace
/// (10.77.0.2) where real clients run. Made once for a test class and torn down after it.
/// </summary>
public sealed class TftpNamespaceFixture : IAsyncLifetime
{
    public const string ServerAddress = "10.77.0.1";
    public const int Port = 6969;

    /// <summary>Name → size; 33,600,000 bytes is more than 65535 blocks of 512, so block numbers roll over.</summary>
    public static readonly IReadOnlyDictionary<string, int> Sizes = new Dictionary<string, int>
    {
        ["empty.bin"] = 0,
        ["511.bin"] = 511,
        ["512.bin"] = 512,
        ["one-mib.bin"] = 1 << 20,
        ["1468x700.bin"] = 1468 * 700,
        ["rollover.bin"] = 33_600_000,
    };

    private CancellationTokenSource? _stop;
    private Task? _running;

    public NetworkNamespace ServerNamespace { get; private set; } = null!;

    public NetworkNamespace ClientNamespace { get; private set; } = null!;

    public string Root { get; } = Directory.CreateTempSubdirectory("rebar-tftp-").FullName;

    public string Outside { get; } = Directory.CreateTempSubdirectory("rebar-tftp-outside-").FullName;

    public TftpServer Server { get; private set; } = null!;

    public string? SkipReason { get; private set; }

    public MetricsRecorder Metrics { get; private set; } = null!;

    public Task InitializeAsync()
    {
        try
        {
            (ServerNamespace, ClientNamespace) = NetworkNamespace.CreatePair("tf", ServerAddress + "/24", "10.77.0.2/24");
        }
        catch (SkipException e)
        {
            SkipReason = e.Message;
            return Task.CompletedTask;
        }
        foreach (var (name, size) in Sizes)
        {
            var content = new byte[size];
            new Random(size).NextBytes(content);
            File.WriteAllBytes(Path.Combine(Root, name), content);
        }
        Directory.CreateDirectory(Path.Combine(Root, "pxelinux.cfg"));
        File.WriteAllText(Path.Combine(Root, "pxelinux.cfg", "default"), "default linux\nlabel linux\n  kernel vmlinuz\n");
        File.WriteAllText(Path.Combine(Outside, "secret"), "not for you");
        File.CreateSymbolicLink(Path.Combine(Root, "escape"), Path.Combine(Outside, "secret"));
        Directory.CreateSymbolicLink(Path.Combine(Root, "escdir"), Outside);
        File.CreateSymbolicLink(Path.Combine(Root, "inside-link"), Path.Combine(Root, "511.bin"));
        Server = StartServer(new TftpServerOptions { Endpoint = new IPEndPoint(IPAddress.Parse(ServerAddress), Port) }, out var recorder);
        Metrics = recorder;
        _stop = new CancellationTokenSource();
        _running = Server.RunAsync(_stop.Token);
        return Task.CompletedTask;
    }

    /// <summary>A server whose sockets all live in the server namespace; the caller runs and disposes it.</summary>
    public TftpServer StartServer(TftpServerOptions options, out MetricsRecorder metrics, ITftpFileSource? files = null, ILogger<TftpServer>? logger = null, TimeProvider? time = null)
    {
        metrics = new MetricsRecorder();
        var server = new TftpServer(files ?? new DirectoryFileSource(Root), options with { SocketFactory = ServerSocket },
            logger ?? NullLogger<TftpServer>.Instance, time ?? TimeProvider.System, metrics.Meters);
        server.Start();
        return server;
    }

    /// <summary>Starts and runs another server in the server namespace with the test's own options.</summary>
    public RunningServer Run(TftpServerOptions options, ITftpFileSource? files = null, ILogger<TftpServer>? logger = null, TimeProvider? time = null) =>
        new(StartServer(options, out var metrics, files, logger, time), metrics);

    public Socket ServerSocket(AddressFamily family) => ServerNamespace.Enter(() => new Socket(family, SocketType.Dgram, ProtocolType.Udp));

    /// <summary>A client socket with room for a whole window of 64 KiB blocks, so none is dropped on arrival.</summary>
    public Socket ClientSocket() => ClientNamespace.Enter(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 4 << 20 });

    public byte[] Content(string name) => File.ReadAllBytes(Path.Combine(Root, name));

    /// <summary>A fresh output path inside a temporary directory the client writes to.</summary>
    public string OutputPath() => Path.Combine(Directory.CreateTempSubdirectory("rebar-tftp-out-").FullName, "out");

    public async Task DisposeAsync()
    {
        if (_stop is not null)
        {
            await _stop.CancelAsync();
            await _running!;
            await Server.DisposeAsync();
            Metrics.Dispose();
        }
        ClientNamespace?.Dispose();
        ServerNamespace?.Dispose();
        Directory.Delete(Root, recursive: true);
        Directory.Delete(Outside, recursive: true);
    }
}
