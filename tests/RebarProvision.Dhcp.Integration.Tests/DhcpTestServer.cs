using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RebarProvision.Dhcp.Server;
using RebarProvision.Model;
using RebarProvision.Store;
using RebarProvision.Testing;

namespace RebarProvision.Dhcp.Integration.Tests;

/// <summary>
/// A DhcpService on a temporary SQLite store, listening on "vs" inside the server namespace of a fresh veth pair
/// (created and started inside the namespace, so its sockets and interface lookups live there).
/// </summary>
internal sealed class DhcpTestServer : IAsyncDisposable
{
    private readonly TestMeters _meters;
    private readonly RebarProvision.Server.Machines.Discovery _discovery;

    private DhcpTestServer(NetworkNamespace server, NetworkNamespace client, TempStore store, TestMeters meters, RebarProvision.Server.Machines.Discovery discovery, DhcpService service, DhcpMetrics metrics)
    {
        ServerNamespace = server;
        ClientNamespace = client;
        Temp = store;
        _meters = meters;
        _discovery = discovery;
        Service = service;
        Metrics = metrics;
    }

    public NetworkNamespace ServerNamespace { get; }

    public NetworkNamespace ClientNamespace { get; }

    public TempStore Temp { get; }

    public DhcpService Service { get; }

    public DhcpMetrics Metrics { get; }

    public string TempDirectory { get; } = Directory.CreateTempSubdirectory("rebar-dhcp-client-").FullName;

    /// <param name="prefix">A namespace prefix unique to the test (3 characters).</param>
    /// <param name="serverCidr">The server's address on vs, e.g. 10.91.0.1/24.</param>
    /// <param name="clientCidr">The client's address on vc, or null (DHCP clients start without one).</param>
    public static Task<DhcpTestServer> StartAsync(string prefix, string serverCidr, string? clientCidr, params Subnet[] subnets) =>
        StartAsync(prefix, serverCidr, clientCidr, null, NullLogger<DhcpService>.Instance, subnets);

    /// <param name="store">The store to serve from instead of the temporary SQLite one (whose subnets it then lacks).</param>
    /// <param name="logger">Where the service logs.</param>
    public static async Task<DhcpTestServer> StartAsync(string prefix, string serverCidr, string? clientCidr, IStore? store, ILogger<DhcpService> logger, params Subnet[] subnets)
    {
        Prerequisite.RequireRoot();
        var (server, client) = NetworkNamespace.CreatePair("rd" + prefix, serverCidr, clientCidr);
        TempStore? temp = null;
        var meters = new TestMeters();
        RebarProvision.Server.Machines.Discovery? discovery = null;
        try
        {
            temp = await TempStore.CreateAsync(null, subnets);
            // No warm-up: StartAsync runs on a thread moved into the namespace (Enter), and the warm-up's store would
            // start thread-pool threads from it, which would inherit the namespace. DhcpWarmUpTests covers it.
            var options = new DhcpServiceOptions { Interfaces = ["vs"], Node = "test", RefreshSeconds = 1, ProxyPort = 0, WarmUp = false };
            var served = store ?? temp.Store;
            discovery = await ServerDiscovery.CreateAsync(temp.Store, TimeProvider.System, meters.Factory);
            var metrics = meters.Dhcp();
            var responder = new DhcpResponder(served, discovery, new LoneNode(), options, metrics, TimeProvider.System, NullLogger<DhcpResponder>.Instance);
            var service = server.Enter(() =>
            {
                var s = new DhcpService(served, responder, metrics, options, logger, TimeProvider.System);
                s.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
                return s;
            });
            return new DhcpTestServer(server, client, temp, meters, discovery, service, metrics);
        }
        catch
        {
            discovery?.Dispose();
            meters.Dispose();
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
        _discovery.Dispose();
        _meters.Dispose();
        ClientNamespace.Dispose();
        ServerNamespace.Dispose();
        await Temp.DisposeAsync();
        Directory.Delete(TempDirectory, recursive: true);
    }
}
