using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using RebarProvision.Server.Tests;

namespace RebarProvision.Cli.Tests;

/// <summary>
/// A stand-in API on a loopback port answering every request with one handler: for contracts the real server does
/// not serve yet (image upload) and answers it would not give (401 without auth).
/// </summary>
public sealed class FakeApi : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeApi(WebApplication app, string endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    public string Endpoint { get; }

    public static async Task<FakeApi> StartAsync(Func<HttpContext, Task<IResult>> handler)
    {
        var port = FreePort.Tcp();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null);
        var app = builder.Build();
        app.Map("/{**path}", handler);
        await app.StartAsync();
        return new FakeApi(app, $"http://127.0.0.1:{port}");
    }

    public static Task<FakeApi> StartAsync(Func<HttpContext, IResult> handler) => StartAsync(http => Task.FromResult(handler(http)));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
