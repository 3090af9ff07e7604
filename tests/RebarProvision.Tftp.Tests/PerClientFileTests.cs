using System.Net;
using System.Text;
using RebarProvision.Tftp.Transport;

namespace RebarProvision.Tftp.Tests;

/// <summary>The file source sees who asks, so per-machine files can be resolved from the client's address.</summary>
[Collection(TftpNamespaceCollection.Name)]
public sealed class PerClientFileTests(TftpNamespaceFixture fixture)
{
    [SkippableFact]
    public async Task A_per_machine_file_is_rendered_for_the_address_that_asks_for_it()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var options = new TftpServerOptions { Endpoint = new IPEndPoint(IPAddress.Parse(TftpNamespaceFixture.ServerAddress), TftpNamespaceFixture.Port + 2) };
        await using var running = fixture.Run(options, new MachineFiles());
        var output = fixture.OutputPath();

        var result = await fixture.ClientNamespace.RunAsync(TimeSpan.FromSeconds(30),
            "curl", "-sS", $"tftp://{TftpNamespaceFixture.ServerAddress}:{options.Endpoint.Port}/pxelinux.cfg/default", "-o", output);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("# rendered for 10.77.0.2\ndefault local\n", File.ReadAllText(output));
    }

    private sealed class MachineFiles : ITftpFileSource
    {
        public ValueTask<TftpFileResult> OpenAsync(string path, IPEndPoint client, CancellationToken cancellationToken) =>
            ValueTask.FromResult(path == "pxelinux.cfg/default"
                ? TftpFileResult.FromBytes(Encoding.ASCII.GetBytes($"# rendered for {client.Address}\ndefault local\n"))
                : TftpFileResult.NotFound());
    }
}
