using System.Net.Http.Headers;
using RebarProvision.Server.Configuration;
using RebarProvision.Server.Hosting;
using Serilog;

namespace RebarProvision.Server.Tests;

/// <summary>
/// The real server, in process, on loopback ports of its own with a data directory of its own; clients for its API
/// and HTTP boot listeners. Restartable on the same data directory to prove persistence.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    private WebApplication? _app;

    /// <summary>The first admin's password every test server starts with; <see cref="Api"/> sends it.</summary>
    public const string AdminPassword = "test-admin-password";

    public ServerOptions Options { get; }

    public HttpClient Api { get; private set; } = null!;

    public HttpClient Boot { get; private set; } = null!;

    /// <summary>The empty content folder this server made for itself, removed with it.</summary>
    private readonly string _ownContent;

    private TestServer(ServerOptions options, string ownContent)
    {
        Options = options;
        _ownContent = ownContent;
    }

    public static async Task<TestServer> StartAsync(Action<ServerOptions>? configure = null)
    {
        var options = new ServerOptions
        {
            DataDir = Directory.CreateTempSubdirectory("rebar-test-").FullName,
            ApiPort = FreePort.Tcp(),
            HttpPort = FreePort.Tcp(),
            ApiTls = false,
            TftpPort = 0,
            Listen = "127.0.0.1",
            Node = "test-node",
            Content = EmptyContent(),
            AdminPassword = AdminPassword,
        };
        var ownContent = options.Content;
        var (pickedApi, pickedHttp) = (options.ApiPort, options.HttpPort);
        configure?.Invoke(options);
        var server = new TestServer(options, ownContent);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await server.StartAgainAsync();
                return server;
            }
            catch (IOException e) when (attempt < 3 && e.InnerException?.GetType().Name == "AddressInUseException")
            {
                // FreePort finds a port that was free a moment ago; a test starting beside this one can take it first.
                await server.StopAsync();
                options.ApiPort = options.ApiPort == pickedApi ? pickedApi = FreePort.Tcp() : options.ApiPort;
                options.HttpPort = options.HttpPort == pickedHttp ? pickedHttp = FreePort.Tcp() : options.HttpPort;
            }
        }
    }

    /// <summary>Stops the server if it runs and starts it again on the same data directory and ports.</summary>
    public async Task StartAgainAsync()
    {
        await StopAsync();
        var logger = new LoggerConfiguration().MinimumLevel.Warning().WriteTo.Console().CreateLogger();
        _app = await ServerHost.BuildAsync(Options, logger);
        await _app.StartAsync();
        var scheme = Options.ApiTls ? "https" : "http";
        Api = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true })
        {
            BaseAddress = new Uri($"{scheme}://127.0.0.1:{Options.ApiPort}/api/v1/"),
        };
        Api.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        Api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("admin:" + AdminPassword)));
        Boot = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Options.HttpPort}/") };
    }

    public async Task StopAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
            Api.Dispose();
            Boot.Dispose();
        }
    }

    public T Service<T>() where T : notnull => _app!.Services.GetRequiredService<T>();

    /// <summary>A content folder with nothing in it, so a test starts from a truly empty store unless it asks for content.</summary>
    public static string EmptyContent() => Directory.CreateTempSubdirectory("rebar-content-").FullName;

    /// <summary>The repository's shipped content (bootenvs/, templates/, samples/), found from the test's folder.</summary>
    public static string ShippedContent()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RebarProvision.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("cannot find the repository root from " + AppContext.BaseDirectory);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        foreach (var directory in new[] { Options.DataDir, _ownContent })
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
