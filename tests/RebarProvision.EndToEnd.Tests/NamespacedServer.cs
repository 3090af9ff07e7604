using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using RebarProvision.Testing;

namespace RebarProvision.EndToEnd.Tests;

/// <summary>
/// The real server process (rebar-provision.dll) in a namespace of its own with DHCP on "vs" and TFTP on port 69, a
/// client namespace on the other end of the veth ("vc"), the shipped bootenvs and templates plus a subnet for the
/// link, and an API client. Its output is read continuously, so a chatty server never blocks on a full pipe.
/// </summary>
public sealed partial class NamespacedServer : IDisposable
{
    public const string AdminPassword = "namespaced-admin";

    private OutputTail _output = null!;
    private readonly string _data;
    private readonly string _content;

    private NamespacedServer(NetworkNamespace server, NetworkNamespace client, string address, string data, string content)
    {
        ServerNamespace = server;
        ClientNamespace = client;
        Address = address;
        _data = data;
        _content = content;
        Api = NamespacedHttp.Create(server, $"http://{address}:8092/api/v1/");
        Api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + AdminPassword)));
    }

    /// <summary>The server's data directory (bootenv files go under <c>files/bootenvs/&lt;name&gt;/</c>).</summary>
    public string DataDir => _data;

    public NetworkNamespace ServerNamespace { get; }

    public NetworkNamespace ClientNamespace { get; }

    /// <summary>The server's address on the link, e.g. 10.86.0.1.</summary>
    public string Address { get; }

    public HttpClient Api { get; }

    public Process Process { get; private set; } = null!;

    /// <summary>What the server printed so far, for failure messages.</summary>
    public string Output => _output.Text;

    /// <param name="prefix">namespace name prefix (a random suffix is added)</param>
    /// <param name="network">the first three octets of the link's /24, e.g. "10.86.0"; the server is .1, the pool .100-.200</param>
    /// <param name="samples">YAML added to the content beside the subnet (more bootenvs, machines)</param>
    public static async Task<NamespacedServer> StartAsync(string prefix, string network, string samples = "", params string[] arguments)
    {
        var (server, client) = NetworkNamespace.CreatePair(prefix, network + ".1/24", null);
        var running = new NamespacedServer(server, client, network + ".1", Directory.CreateTempSubdirectory("rebar-ns-data-").FullName, Content(network, samples));
        try
        {
            running.Process = server.Start(["dotnet", Path.Combine(AppContext.BaseDirectory, "rebar-provision.dll"), "--data-dir", running._data,
                "--content", running._content, "--dhcp-interfaces", "vs", "--advertise", running.Address, "--api-tls", "false",
                "--admin-password", AdminPassword, "--node", prefix, .. arguments]);
            running._output = OutputTail.Follow(running.Process);
            await running.WaitReadyAsync();
            return running;
        }
        catch
        {
            running.Dispose();
            throw;
        }
    }


    private static string Content(string network, string samples)
    {
        var content = Directory.CreateTempSubdirectory("rebar-ns-content-").FullName;
        foreach (var folder in new[] { "bootenvs", "templates" })
        {
            Directory.CreateDirectory(Path.Combine(content, folder));
            foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "content", folder)))
            {
                File.Copy(file, Path.Combine(content, folder, Path.GetFileName(file)));
            }
        }
        Directory.CreateDirectory(Path.Combine(content, "samples"));
        File.WriteAllText(Path.Combine(content, "samples", "link.yaml"), $"""
            subnets:
              - name: link
                cidr: {network}.0/24
                activeStart: {network}.100
                activeEnd: {network}.200

            """ + samples);
        return content;
    }

    private async Task WaitReadyAsync()
    {
        for (var i = 0; i < 600; i++)
        {
            if (Process.HasExited)
            {
                Assert.Fail($"the server exited with {Process.ExitCode}:\n{Output}");
            }
            try
            {
                if ((await Api.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        Assert.Fail($"the server in the namespace did not become ready within 60 s:\n{Output}");
    }

    /// <summary>GET /metrics as a readonly scraper would.</summary>
    public async Task<PrometheusScrape> ScrapeAsync()
    {
        var response = await Api.GetAsync("/metrics");
        Assert.True(response.IsSuccessStatusCode, $"/metrics answered {response.StatusCode}");
        return new PrometheusScrape(await response.Content.ReadAsStringAsync());
    }

    [GeneratedRegex("rebar-boot-file=(?<file>\\S+)")]
    private static partial Regex BootFileLine();

    /// <summary>
    /// busybox udhcpc in the client namespace, asking as iPXE (vendor class PXEClient, user class iPXE); it configures
    /// the address on "vc" and returns the boot file the server named.
    /// </summary>
    public async Task<string> DhcpBootFileAsync()
    {
        var (result, bootFile) = await UdhcpcAsync(TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, result.ToString());
        return bootFile;
    }

    /// <summary>udhcpc as in <see cref="DhcpBootFileAsync"/> (5 DISCOVERs, 2 s apart), its result and the boot file, if any.</summary>
    public async Task<(ProcessRunner.Result Result, string BootFile)> UdhcpcAsync(TimeSpan timeout)
    {
        var udhcpc = Prerequisite.RequireCommand("udhcpc");
        var script = Path.Combine(_data, "udhcpc.sh");
        await File.WriteAllTextAsync(script, """
            #!/bin/sh
            case "$1" in bound|renew)
              ip addr flush dev "$interface"; ip addr add "$ip/${mask:-24}" dev "$interface"
              echo "rebar-boot-file=$boot_file" ;;
            esac
            """);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var result = await ClientNamespace.RunAsync(timeout, udhcpc, "-i", "vc", "-n", "-q", "-f", "-t", "5", "-T", "2",
            "-V", "PXEClient:Arch:00000:UNDI:002001", "-x", "0x4d:69505845", "-s", script);
        return (result, BootFileLine().Match(result.Output).Groups["file"].Value);
    }

    /// <summary>curl in the client namespace (http:// or tftp://); fails the test unless it succeeds.</summary>
    public async Task<string> CurlAsync(string url, params string[] extra)
    {
        var result = await ClientNamespace.RunAsync(TimeSpan.FromSeconds(30), ["curl", "-sS", "--fail", .. extra, url]);
        Assert.True(result.ExitCode == 0, $"curl {url}: {result}");
        return result.StandardOutput;
    }

    public void Dispose()
    {
        Api.Dispose();
        ClientNamespace.Dispose();
        ServerNamespace.Dispose();
        foreach (var directory in new[] { _data, _content })
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
