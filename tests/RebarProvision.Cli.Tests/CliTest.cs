using RebarProvision.Server.Tests;

namespace RebarProvision.Cli.Tests;

/// <summary>A test with a real server of its own and rebarctl pointed at it; files it writes go to a temporary folder.</summary>
public abstract class CliTest : IAsyncLifetime
{
    private readonly DirectoryInfo _files = Directory.CreateTempSubdirectory("rebarctl-test-");
    private TestServer? _server;

    protected TestServer Server => _server!;

    protected Rebarctl Cli { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        Cli = Rebarctl.For(_server);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _files.Delete(recursive: true);
    }

    protected string File(string name, string contents)
    {
        var path = Path.Combine(_files.FullName, name);
        System.IO.File.WriteAllText(path, contents);
        return path;
    }
}
