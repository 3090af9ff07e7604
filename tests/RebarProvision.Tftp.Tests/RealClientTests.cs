using RebarProvision.Testing;

namespace RebarProvision.Tftp.Tests;

/// <summary>tftp-hpa, atftp and curl download from our server across a veth pair and get the exact bytes.</summary>
[Collection(TftpNamespaceCollection.Name)]
public sealed class RealClientTests(TftpNamespaceFixture fixture)
{
    private const string Host = TftpNamespaceFixture.ServerAddress;
    private static readonly string Port = TftpNamespaceFixture.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static readonly string[] SmallFiles = ["empty.bin", "511.bin", "512.bin", "one-mib.bin", "1468x700.bin"];

    public static TheoryData<string, string, string> Downloads()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var file in SmallFiles)
        {
            // tftp-hpa 5.2's client sends no options, so it always uses 512-byte blocks.
            data.Add("tftp", "default", file);
            data.Add("atftp", "default", file);
            data.Add("atftp", "blksize 1468", file);
            data.Add("atftp", "blksize 1468, windowsize 16", file);
            data.Add("curl", "default", file);
            data.Add("curl", "blksize 1468", file);
        }
        // More than 65535 blocks of 512: the block number rolls over.
        data.Add("tftp", "default", "rollover.bin");
        data.Add("curl", "default", "rollover.bin");
        data.Add("atftp", "windowsize 16", "rollover.bin");
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Downloads))]
    public async Task A_real_client_downloads_the_file_byte_for_byte(string client, string options, string file)
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var output = fixture.OutputPath();

        var result = await fixture.ClientNamespace.RunAsync(TimeSpan.FromSeconds(120), Command(client, options, file, output));

        Assert.True(result.ExitCode == 0, result.ToString());
        var received = File.Exists(output) ? File.ReadAllBytes(output) : [];
        Assert.True(fixture.Content(file).AsSpan().SequenceEqual(received), $"{client} {options} {file}: {received.Length} bytes received\n{result}");
    }

    [SkippableFact]
    public async Task Netascii_text_arrives_with_the_clients_own_line_endings()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var output = fixture.OutputPath();

        var result = await fixture.ClientNamespace.RunAsync(TimeSpan.FromSeconds(30), "tftp", "-m", "ascii", Host, Port, "-c", "get", "pxelinux.cfg/default", output);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(File.ReadAllText(Path.Combine(fixture.Root, "pxelinux.cfg", "default")), File.ReadAllText(output));
    }

    [SkippableTheory]
    [InlineData("../etc/passwd", "Access violation")]
    [InlineData("/etc/passwd", "File not found")]
    [InlineData("escape", "Access violation")]
    [InlineData("escdir/secret", "Access violation")]
    [InlineData("a\\b", "Access violation")]
    [InlineData("missing.bin", "File not found")]
    public async Task A_request_outside_the_root_gets_a_tftp_error(string path, string message)
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var output = fixture.OutputPath();

        var result = await fixture.ClientNamespace.RunAsync(TimeSpan.FromSeconds(30), "tftp", "-m", "binary", Host, Port, "-c", "get", path, output);

        Assert.Contains(message, result.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(output) && new FileInfo(output).Length > 0, result.ToString());
    }

    [SkippableFact]
    public async Task A_symlink_that_stays_inside_the_root_is_served()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var output = fixture.OutputPath();

        var result = await fixture.ClientNamespace.RunAsync(TimeSpan.FromSeconds(30), "curl", "-sS", $"tftp://{Host}:{Port}/inside-link", "-o", output);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(fixture.Content("511.bin"), File.ReadAllBytes(output));
    }

    [SkippableFact]
    public async Task A_write_request_is_refused_as_an_illegal_operation()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var local = fixture.OutputPath();
        File.WriteAllText(local, "upload");

        var result = await fixture.ClientNamespace.RunAsync(TimeSpan.FromSeconds(30), "tftp", "-m", "binary", Host, Port, "-c", "put", local, "uploaded.bin");

        Assert.Contains("Error code 4", result.Output, StringComparison.Ordinal);
        Assert.Contains("read-only", result.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(fixture.Root, "uploaded.bin")));
    }

    private static string[] Command(string client, string options, string file, string output)
    {
        Prerequisite.RequireCommand(client);
        var blksize = options.Contains("blksize 1468", StringComparison.Ordinal);
        var window = options.Contains("windowsize 16", StringComparison.Ordinal);
        return client switch
        {
            "tftp" => ["tftp", "-m", "binary", Host, Port, "-c", "get", file, output],
            "atftp" => ["atftp", "--get", "-r", file, "-l", output,
                .. blksize ? (string[])["--option", "blksize 1468"] : [],
                .. window ? (string[])["--option", "windowsize 16"] : [],
                Host, Port],
            "curl" => ["curl", "-sS", $"tftp://{Host}:{Port}/{file}", "-o", output, .. blksize ? (string[])["--tftp-blksize", "1468"] : []],
            _ => throw new ArgumentOutOfRangeException(nameof(client)),
        };
    }
}
