using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RebarProvision.Model;
using RebarProvision.Server.Dhcp;
using RebarProvision.Testing;

namespace RebarProvision.Dhcp.Integration.Tests;

/// <summary>
/// A DhcpService on a temporary SQLite store, listening on "vs" inside the server namespace of a fresh veth pair
/// (created and started inside the namespace, so its sockets and interface lookups live there).
/// </summary>
internal sealed class DhcpTestServer : IAsyncDisposable
{
    private DhcpTestServer(NetworkNamespace server, NetworkNamespace client, TempStore store, DhcpService service)
    {
        ServerNamespace = server;
        ClientNamespace = client;
        Temp = store;
        Service = service;
    }

    public NetworkNamespace ServerNamespace { get; }

    public NetworkNamespace ClientNamespace { get; }

    public TempStore Temp { get; }

    public DhcpService Service { get; }

    public string TempDirectory { get; } = Directory.CreateTempSubdirectory("rebar-dhcp-client-").FullName;

    /// <param name="prefix">A namespace prefix unique to the test (3 characters).</param>
    /// <param name="serverCidr">The server's address on vs, e.g. 10.91.0.1/24.</param>
    /// <param name="clientCidr">The client's address on vc, or null (DHCP clients start without one).</param>
    public static async Task<DhcpTestServer> StartAsync(string prefix, string serverCidr, string? clientCidr, params Subnet[] subnets)
    {
        Prerequisite.RequireRoot();
        var (server, client) = NetworkNamespace.CreatePair("rd" + prefix, serverCidr, clientCidr);
        TempStore? temp = null;
        try
        {
            temp = await TempStore.CreateAsync(null, subnets);
            // No warm-up: StartAsync runs on a thread moved into the namespace (Enter), and the warm-up's store would
            // start thread-pool threads from it, which would inherit the namespace. DhcpWarmUpTests covers it.
            var options = new DhcpServiceOptions { Interfaces = ["vs"], Node = "test", RefreshSeconds = 1, ProxyPort = 0, WarmUp = false };
            var store = temp.Store;
            var service = server.Enter(() =>
            {
                var s = new DhcpService(store, Options.Create(options), NullLogger<DhcpService>.Instance);
                s.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
                return s;
            });
            return new DhcpTestServer(server, client, temp, service);
        }
        catch
        {
            if (temp is not null)
            {
                await temp.DisposeAsync();
            }
            client.Dispose();
            server.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Service.StopAsync(CancellationToken.None);
        Service.Dispose();
        ClientNamespace.Dispose();
        ServerNamespace.Dispose();
        await Temp.DisposeAsync();
        Directory.Delete(TempDirectory, recursive: true);
    }
}
