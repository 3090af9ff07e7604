using System.Diagnostics;
using System.Runtime.InteropServices;

namespace RebarProvision.Testing;

/// <summary>
/// A private network namespace made for one test (<c>ip netns add</c>) and deleted on dispose, with the processes
/// started in it. Sockets can be opened inside it from this process: <see cref="Enter{T}"/> runs code on a thread
/// switched into the namespace, and a socket keeps the namespace it was created in.
/// </summary>
public sealed class NetworkNamespace : IDisposable
{
    private readonly List<Process> _processes = [];

    public string Name { get; }

    private NetworkNamespace(string name) => Name = name;

    /// <summary>Creates a namespace named prefix + a random suffix, with loopback up.</summary>
    public static NetworkNamespace Create(string prefix)
    {
        Prerequisite.RequireRoot();
        Prerequisite.RequireCommand("ip");
        var name = prefix + Guid.NewGuid().ToString("N")[..6];
        Ip("netns", "add", name);
        var ns = new NetworkNamespace(name);
        ns.Exec("ip", "link", "set", "lo", "up");
        return ns;
    }

    /// <summary>
    /// Two namespaces joined by a veth pair: <paramref name="serverAddress"/> (CIDR) on "vs" in the first and
    /// <paramref name="clientAddress"/> (CIDR, or null for none) on "vc" in the second.
    /// </summary>
    public static (NetworkNamespace Server, NetworkNamespace Client) CreatePair(string prefix, string serverAddress, string? clientAddress)
    {
        var server = Create(prefix + "s");
        var client = Create(prefix + "c");
        Ip("link", "add", "vs", "netns", server.Name, "type", "veth", "peer", "name", "vc", "netns", client.Name);
        server.Exec("ip", "addr", "add", serverAddress, "dev", "vs");
        server.Exec("ip", "link", "set", "vs", "up");
        if (clientAddress is not null)
        {
            client.Exec("ip", "addr", "add", clientAddress, "dev", "vc");
        }
        client.Exec("ip", "link", "set", "vc", "up");
        return (server, client);
    }

    /// <summary>Runs a command inside the namespace to completion and throws if it fails.</summary>
    public ProcessRunner.Result Exec(params string[] command) =>
        ProcessRunner.RunCheckedAsync("ip", ["netns", "exec", Name, .. command]).GetAwaiter().GetResult();

    /// <summary>Runs a command inside the namespace to completion with a deadline.</summary>
    public Task<ProcessRunner.Result> RunAsync(TimeSpan timeout, params string[] command) =>
        ProcessRunner.RunAsync("ip", ["netns", "exec", Name, .. command], timeout);

    /// <summary>Starts a long-running command inside the namespace; it is killed on dispose.</summary>
    public Process Start(params string[] command)
    {
        var info = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["netns", "exec", Name, .. command])
        {
            info.ArgumentList.Add(argument);
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {command[0]}");
        _processes.Add(process);
        return process;
    }

    /// <summary>Runs <paramref name="action"/> on a thread that has entered this namespace; sockets it opens live here.</summary>
    public T Enter<T>(Func<T> action)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var target = File.OpenHandle($"/var/run/netns/{Name}");
                if (setns(target.DangerousGetHandle().ToInt32(), CloneNewNet) != 0)
                {
                    throw new InvalidOperationException($"setns into {Name} failed: errno {Marshal.GetLastPInvokeError()}");
                }
                // The thread dies right after, so it never returns to the root namespace with a pool job.
                result = action();
            }
#pragma warning disable CA1031 // Carried to the calling thread and rethrown there.
            catch (Exception e)
#pragma warning restore CA1031
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            throw new InvalidOperationException($"in namespace {Name}: {failure.Message}", failure);
        }
        return result;
    }

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
            }
            process.Dispose();
        }
        // Processes such as dhclient may have forked away from their parent; end what still runs in the namespace.
        ProcessRunner.RunAsync("ip", ["netns", "pids", Name], TimeSpan.FromSeconds(5)).GetAwaiter().GetResult()
            .StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList()
            .ForEach(pid => { try { Process.GetProcessById(int.Parse(pid)).Kill(); } catch (ArgumentException) { } catch (InvalidOperationException) { } });
        Ip("netns", "del", Name);
    }

    private static void Ip(params string[] arguments) => ProcessRunner.RunCheckedAsync("ip", arguments).GetAwaiter().GetResult();

    private const int CloneNewNet = 0x40000000;

    [DllImport("libc", SetLastError = true)]
    private static extern int setns(int fd, int nstype);
}
