using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace RebarProvision.Server.Tests;

/// <summary>API clients with other credentials than the admin's, and a way to mint tokens for them.</summary>
public static class AuthClients
{
    public static HttpClient Anonymous(TestServer server) => new() { BaseAddress = server.Api.BaseAddress };

    public static HttpClient Basic(string user, string password, Uri? baseAddress = null)
    {
        var client = new HttpClient { BaseAddress = baseAddress };
        client.DefaultRequestHeaders.Authorization = BasicHeader(user, password);
        return client;
    }

    public static HttpClient Basic(TestServer server, string user, string password) => Basic(user, password, server.Api.BaseAddress);

    /// <summary>A Basic client whose connections come from <paramref name="source"/> (any 127.0.0.0/8 address reaches the server on loopback).</summary>
    public static HttpClient BasicFrom(IPAddress source, TestServer server, string user, string password)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { BaseAddress = server.Api.BaseAddress };
        client.DefaultRequestHeaders.Authorization = BasicHeader(user, password);
        return client;
    }

    public static AuthenticationHeaderValue BasicHeader(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    public static HttpClient Bearer(TestServer server, string token)
    {
        var client = new HttpClient { BaseAddress = server.Api.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>GET of a machine's boot script with <paramref name="token"/>, as the machine's OS fetches its files.</summary>
    public static async Task<HttpResponseMessage> AsMachineAsync(Uri api, string token, string machine)
    {
        using var client = new HttpClient { BaseAddress = api, Timeout = TimeSpan.FromSeconds(15) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.GetAsync($"machines/{machine}/render/ipxe");
    }

    /// <summary>Mints a token as <paramref name="minter"/> and returns its one-time secret (<c>id.secret</c>).</summary>
    public static async Task<string> MintAsync(HttpClient minter, string json)
    {
        var created = await (await (await minter.PostJsonAsync("tokens", json)).Expect(HttpStatusCode.Created)).JsonAsync();
        Assert.Null(created["secretHash"]);
        return created["token"]!.GetValue<string>();
    }

    public static async Task CreateUserAsync(TestServer server, string name, string role, string password) =>
        await (await server.Api.PostJsonAsync("users", new JsonObject { ["name"] = name, ["role"] = role, ["password"] = password }.ToJsonString()))
            .Expect(HttpStatusCode.Created);
}
