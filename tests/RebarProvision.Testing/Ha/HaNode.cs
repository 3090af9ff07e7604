using System.Diagnostics;
using System.Net;

namespace RebarProvision.Testing.Ha;

/// <summary>
/// One server process (rebar-provision.dll) on the HA segment: in its own namespace, DHCP on eth0, the store on
/// the test's PostgreSQL, reached over its Unix socket (which a network namespace does not hide). The namespace
/// belongs to the <see cref="HaLan"/>, which deletes it.
/// </summary>
public sealed class HaNode : IHaServer
{
    private readonly OutputTail _output;

    private HaNode(string name, string address, NetworkNamespace ns, Process process, string dataDir)
    {
        _output = OutputTail.Follow(process);
        DataDir = dataDir;
        Name = name;
        Address = address;
        Namespace = ns;
        Process = process;
    }

    public string Name { get; }

    public string Address { get; }

    public NetworkNamespace Namespace { get; }

    public Process Process { get; }

    public string DataDir { get; }

    public string Output => _output.Text;

    /// <param name="keysFrom">A data directory whose keys this node shares (the first node's), or null to make them.</param>
    /// <param name="files">Files to put under the data directory's <c>files/</c> (relative path → source file).</param>
    public static async Task<HaNode> StartAsync(
        HaLan lan, string name, string address, string connectionString, string content, string? keysFrom, IReadOnlyDictionary<string, string> files)
    {
        var ns = lan.AddMember("han", address);
        var data = Directory.CreateTempSubdirectory("rebar-ha-node-").FullName;
        if (keysFrom is not null)
        {
            Directory.CreateDirectory(Path.Combine(data, "keys"));
            foreach (var file in Directory.GetFiles(Path.Combine(keysFrom, "keys")))
            {
                File.Copy(file, Path.Combine(data, "keys", Path.GetFileName(file)));
            }
        }
        foreach (var (path, source) in files)
        {
            var target = Path.Combine(data, "files", path);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(source, target, overwrite: true);
        }
        var info = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["netns", "exec", ns.Name, "dotnet", Path.Combine(AppContext.BaseDirectory, "rebar-provision.dll"),
            "--store", "postgres", "--data-dir", data, "--content", content, "--dhcp-interfaces", "eth0", "--advertise", address,
            "--api-tls", "false", "--admin-password", "ha-admin", "--node", name])
        {
            info.ArgumentList.Add(argument);
        }
        info.Environment["REBAR_POSTGRES"] = connectionString;
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the server");
        var node = new HaNode(name, address, ns, process, data);
        try
        {
            await node.WaitReadyAsync();
        }
        catch
        {
            node.Dispose();
            throw;
        }
        return node;
    }


    public bool HasExited => Process.HasExited;

    public void Kill()
    {
        Process.Kill();
        Process.WaitForExit(10_000);
    }

    private async Task WaitReadyAsync()
    {
        using var api = NamespacedHttp.Create(Namespace, $"http://{Address}:8092/");
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(120))
        {
            if (Process.HasExited)
            {
                throw new InvalidOperationException($"node {Name} exited with {Process.ExitCode}:\n{Output}");
            }
            try
            {
                if ((await api.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"node {Name} was not ready within 120 s:\n{Output}");
    }


    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            Process.WaitForExit(10_000);
        }
        Process.Dispose();
    }
}
