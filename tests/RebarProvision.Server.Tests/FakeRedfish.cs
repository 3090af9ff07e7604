using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace RebarProvision.Server.Tests;

/// <summary>
/// A BMC speaking just enough Redfish: HTTPS on loopback with a self-signed certificate, one system under
/// /redfish/v1/Systems, and ComputerSystem.Reset, recording each reset with the basic-auth credentials it carried.
/// Every reset is recorded; credentials other than <see cref="Username"/>/<see cref="Password"/> get 401, as a real BMC answers.
/// </summary>
public sealed class FakeRedfish : IAsyncDisposable
{
    public sealed record Reset(string ResetType, string Username, string Password);

    private readonly WebApplication _app;

    public string Username { get; }

    public string Password { get; }

    public ConcurrentQueue<Reset> Resets { get; } = new();

    /// <summary>host:port, as a machine's power.address names it.</summary>
    public string Address { get; private set; } = "";

    private FakeRedfish(WebApplication app, string username, string password)
    {
        _app = app;
        Username = username;
        Password = password;
    }

    public static async Task<FakeRedfish> StartAsync(string username, string password)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var certificate = SelfSigned();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(certificate)));
        var app = builder.Build();
        var fake = new FakeRedfish(app, username, password);
        app.MapGet("/redfish/v1/Systems", (HttpContext http) => !fake.Accepts(Sent(http))
            ? Results.Unauthorized()
            : Results.Json(new JsonObject
            {
                ["@odata.id"] = "/redfish/v1/Systems",
                ["Members"] = new JsonArray(new JsonObject { ["@odata.id"] = "/redfish/v1/Systems/System.Embedded.1" }),
            }));
        app.MapPost("/redfish/v1/Systems/System.Embedded.1/Actions/ComputerSystem.Reset", async (HttpContext http) =>
        {
            var (user, password) = Sent(http);
            var body = await JsonNode.ParseAsync(http.Request.Body);
            fake.Resets.Enqueue(new Reset(body?["ResetType"]?.GetValue<string>() ?? "", user, password));
            return fake.Accepts((user, password)) ? Results.NoContent() : Results.Unauthorized();
        });
        await app.StartAsync();
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        fake.Address = "127.0.0.1:" + new Uri(bound).Port;
        return fake;
    }

    private bool Accepts((string User, string Password) sent) => sent.User == Username && sent.Password == Password;

    /// <summary>The request's basic-auth credentials as sent (recorded, so a test sees what the server decrypted).</summary>
    private static (string User, string Password) Sent(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.Ordinal))
        {
            return ("", "");
        }
        var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..])).Split(':', 2);
        return pair is [var user, var password] ? (user, password) : (pair[0], "");
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=fake-bmc", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
