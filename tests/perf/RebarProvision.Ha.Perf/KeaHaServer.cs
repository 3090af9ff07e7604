using System.Diagnostics;
using RebarProvision.Testing;
using RebarProvision.Testing.Ha;

namespace RebarProvision.Ha.Perf;

/// <summary>
/// One kea-dhcp4 of a load-balancing HA pair (Kea's libdhcp_ha.so from Debian) on the HA segment, with the hook's
/// defaults for failure detection (heartbeat-delay 10 s, max-response-delay 60 s, max-ack-delay 10 s, max-unacked
/// 10), a memfile lease file of its own, and the pool split by HA scope as Kea's manual shows for load balancing.
/// </summary>
public sealed class KeaHaServer : IHaServer
{
    private const string Hooks = "/usr/lib/x86_64-linux-gnu/kea/hooks";
    private readonly OutputTail _output;
    private readonly Process _process;

    private KeaHaServer(string name, string address, NetworkNamespace ns, Process process, string directory)
    {
        _output = OutputTail.Follow(process);
        LeaseFile = Path.Combine(directory, "leases4.csv");
        Name = name;
        Address = address;
        Namespace = ns;
        _process = process;
    }

    public string Name { get; }

    public string Address { get; }

    public NetworkNamespace Namespace { get; }

    /// <summary>Its memfile: every lease it granted or learned from its partner's lease updates, last line winning.</summary>
    public string LeaseFile { get; }

    public bool HasExited => _process.HasExited;

    public string Output => _output.Text;

    /// <summary>Starts both servers of the pair and waits until each reports the load-balancing state.</summary>
    public static async Task<List<IHaServer>> StartPairAsync(HaLan lan)
    {
        Prerequisite.RequireCommand("kea-dhcp4");
        Prerequisite.Require(File.Exists(Path.Combine(Hooks, "libdhcp_ha.so")), "needs Kea's HA hook (Debian package kea-dhcp4-server)");
        var servers = new List<IHaServer>();
        try
        {
            foreach (var (name, index) in new[] { ("kea-a", 0), ("kea-b", 1) })
            {
                servers.Add(Start(lan, name, HaRig.ServerAddress(index)));
            }
            foreach (KeaHaServer server in servers)
            {
                await server.WaitForStateAsync("load-balancing", TimeSpan.FromSeconds(90));
            }
            return servers;
        }
        catch
        {
            servers.ForEach(s => s.Dispose());
            throw;
        }
    }

    private static KeaHaServer Start(HaLan lan, string name, string address)
    {
        var ns = lan.AddMember("hak", address);
        var directory = Directory.CreateTempSubdirectory("rebar-kea-ha-").FullName;
        var config = Path.Combine(directory, "kea-dhcp4.json");
        File.WriteAllText(config, Config(name, directory));
        var info = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["netns", "exec", ns.Name, "kea-dhcp4", "-c", config])
        {
            info.ArgumentList.Add(argument);
        }
        info.Environment["KEA_LOCKFILE_DIR"] = directory;
        info.Environment["KEA_PIDFILE_DIR"] = directory;
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start kea-dhcp4");
        var server = new KeaHaServer(name, address, ns, process, directory);
        return server;
    }

    private static string Config(string name, string directory) => $$"""
        {
          "Dhcp4": {
            "interfaces-config": { "interfaces": [ "eth0" ], "dhcp-socket-type": "udp" },
            "lease-database": { "type": "memfile", "persist": true, "name": "{{directory}}/leases4.csv", "lfc-interval": 0 },
            "multi-threading": { "enable-multi-threading": true, "thread-pool-size": 2, "packet-queue-size": 256 },
            "valid-lifetime": 3600,
            "hooks-libraries": [
              { "library": "{{Hooks}}/libdhcp_lease_cmds.so" },
              {
                "library": "{{Hooks}}/libdhcp_ha.so",
                "parameters": {
                  "high-availability": [ {
                    "this-server-name": "{{name}}",
                    "mode": "load-balancing",
                    "multi-threading": { "enable-multi-threading": true, "http-dedicated-listener": true, "http-listener-threads": 2, "http-client-threads": 2 },
                    "peers": [
                      { "name": "kea-a", "url": "http://{{HaRig.ServerAddress(0)}}:8000/", "role": "primary", "auto-failover": true },
                      { "name": "kea-b", "url": "http://{{HaRig.ServerAddress(1)}}:8000/", "role": "secondary", "auto-failover": true }
                    ]
                  } ]
                }
              }
            ],
            "subnet4": [ {
              "id": 1,
              "subnet": "{{HaLan.Prefix}}.0.0/16",
              "pools": [
                { "pool": "{{HaLan.Prefix}}.1.0 - {{HaLan.Prefix}}.60.255", "client-class": "HA_kea-a" },
                { "pool": "{{HaLan.Prefix}}.61.0 - {{HaLan.Prefix}}.120.255", "client-class": "HA_kea-b" }
              ]
            } ],
            "loggers": [ { "name": "kea-dhcp4", "output_options": [ { "output": "stdout" } ], "severity": "WARN" } ]
          }
        }
        """;

    /// <summary>Asks the HA hook's own listener (ha-heartbeat) until the server reports <paramref name="state"/>.</summary>
    private async Task WaitForStateAsync(string state, TimeSpan timeout)
    {
        using var http = NamespacedHttp.Create(Namespace, $"http://{Address}:8000/");
        var clock = Stopwatch.StartNew();
        var last = "";
        while (clock.Elapsed < timeout)
        {
            if (HasExited)
            {
                throw new InvalidOperationException($"{Name} exited:\n{Output}");
            }
            try
            {
                using var body = new StringContent("""{ "command": "ha-heartbeat", "service": [ "dhcp4" ] }""");
                // Kea's HTTP parser wants the bare media type: "application/json; charset=utf-8" is a 400.
                body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                var response = await http.PostAsync("", body);
                last = await response.Content.ReadAsStringAsync();
                if (last.Contains($"\"{state}\"", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(500);
        }
        throw new TimeoutException($"{Name} did not reach {state} within {timeout}: {last}\n{Output}");
    }

    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit(10_000);
    }


    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
    }
}
