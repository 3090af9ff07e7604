using System.Formats.Tar;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using RebarProvision.Testing;

namespace RebarProvision.Server.Tests;

/// <summary>Installing uploaded images into a bootenv's tree, then fetching them as a booting machine does.</summary>
public sealed class ImageInstallTests : IAsyncLifetime
{
    private TestServer _server = null!;
    private DirectoryInfo _work = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        _work = Directory.CreateTempSubdirectory("rebar-images-");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _work.Delete(recursive: true);
    }

    private string BootEnvTree(string name) => Path.Combine(_server.Options.DataDir, "files", "bootenvs", name);

    /// <summary>A small OS tree: a kernel-sized binary in a subfolder, a config file, a nested folder.</summary>
    private (string Root, byte[] Kernel) MakeTree()
    {
        var root = Directory.CreateDirectory(Path.Combine(_work.FullName, "tree")).FullName;
        var kernel = RandomNumberGenerator.GetBytes(3 << 20);
        Directory.CreateDirectory(Path.Combine(root, "images", "pxeboot"));
        File.WriteAllBytes(Path.Combine(root, "images", "pxeboot", "vmlinuz"), kernel);
        File.WriteAllText(Path.Combine(root, "README"), "an OS tree\n");
        return (root, kernel);
    }

    private async Task<string> UploadAsync(string file, string name)
    {
        await using var body = File.OpenRead(file);
        var sha = Convert.ToHexStringLower(await SHA256.HashDataAsync(body));
        body.Position = 0;
        using var request = new HttpRequestMessage(HttpMethod.Post, $"images/upload?name={name}") { Content = new StreamContent(body) };
        request.Headers.Add("X-Content-Sha256", sha);
        await (await _server.Api.SendAsync(request)).Expect(HttpStatusCode.Created);
        return sha;
    }

    private async Task CreateBootEnvAsync(string name, string images = "[]") =>
        await (await _server.Api.PostJsonAsync("bootenvs", $$$"""{"name":"{{{name}}}","kernel":"images/pxeboot/vmlinuz","os":{"family":"test","images":{{{images}}}}}""")).Expect(HttpStatusCode.Created);

    private async Task<JsonNode> InstallAsync(string bootEnv, string query, HttpStatusCode status = HttpStatusCode.OK) =>
        await (await (await _server.Api.PostAsync($"bootenvs/{bootEnv}/install{query}", null)).Expect(status)).JsonAsync();

    [SkippableFact]
    public async Task A_tar_image_is_exploded_into_the_bootenv_and_served_byte_identical_on_the_boot_port()
    {
        var tar = Prerequisite.RequireCommand("tar");
        Prerequisite.RequireCommand("bsdtar");
        var (root, kernel) = MakeTree();
        var archive = Path.Combine(_work.FullName, "os.tar");
        var made = await ProcessRunner.RunAsync(tar, ["-cf", archive, "-C", root, "."], TimeSpan.FromSeconds(30));
        Assert.True(made.ExitCode == 0, made.ToString());
        var sha = await UploadAsync(archive, "os.tar");
        await CreateBootEnvAsync("tarred");

        var report = await InstallAsync("tarred", $"?image={sha}");

        var installed = Assert.Single(report["installed"]!.AsArray())!;
        Assert.Equal("tar", installed["kind"]!.GetValue<string>());
        Assert.Equal("extract", installed["method"]!.GetValue<string>());
        Assert.Contains("./images/pxeboot/vmlinuz", installed["entries"]!.AsArray().Select(e => e!.GetValue<string>()));
        var served = await (await (await _server.Boot.GetAsync("files/bootenvs/tarred/images/pxeboot/vmlinuz")).Expect(HttpStatusCode.OK)).Content.ReadAsByteArrayAsync();
        Assert.Equal(kernel, served);
        Assert.Equal("an OS tree\n", await _server.Boot.GetStringAsync("files/bootenvs/tarred/README"));
    }

    [SkippableFact]
    public async Task An_ISO_image_is_exploded_into_the_bootenv_and_served_byte_identical_on_the_boot_port()
    {
        var xorriso = Prerequisite.RequireCommand("xorriso");
        Prerequisite.RequireCommand("bsdtar");
        var (root, kernel) = MakeTree();
        var iso = Path.Combine(_work.FullName, "os.iso");
        var made = await ProcessRunner.RunAsync(xorriso, ["-as", "mkisofs", "-R", "-J", "-V", "REBAR_TEST", "-o", iso, root], TimeSpan.FromSeconds(60));
        Assert.True(made.ExitCode == 0, made.ToString());
        var sha = await UploadAsync(iso, "os-live.iso");
        await CreateBootEnvAsync("live");

        var report = await InstallAsync("live", $"?image={sha}");

        Assert.Equal("iso", report["installed"]![0]!["kind"]!.GetValue<string>());
        var served = await (await (await _server.Boot.GetAsync("files/bootenvs/live/images/pxeboot/vmlinuz")).Expect(HttpStatusCode.OK)).Content.ReadAsByteArrayAsync();
        Assert.Equal(kernel, served);
    }

    [Fact]
    public async Task Images_the_bootenv_lists_by_sha256_are_placed_under_their_names_and_the_rest_reported_missing()
    {
        var kernelFile = Path.Combine(_work.FullName, "upload-kernel");
        var kernel = RandomNumberGenerator.GetBytes(1 << 20);
        await File.WriteAllBytesAsync(kernelFile, kernel);
        var sha = await UploadAsync(kernelFile, "whatever-it-was-called");
        await CreateBootEnvAsync("listed", $$"""
            [{"url":"https://example.org/os/vmlinuz-6.1","sha256":"{{sha}}","kind":"kernel"},
             {"name":"initrd.img","url":"https://example.org/os/initrd.img","sha256":"{{new string('b', 64)}}","kind":"initrd"}]
            """);

        var report = await InstallAsync("listed", "");

        var installed = Assert.Single(report["installed"]!.AsArray())!;
        Assert.Equal("vmlinuz-6.1", installed["name"]!.GetValue<string>());
        Assert.Equal("link", installed["method"]!.GetValue<string>());
        Assert.Equal("files/bootenvs/listed/vmlinuz-6.1", installed["path"]!.GetValue<string>());
        Assert.Equal("initrd.img", Assert.Single(report["missing"]!.AsArray())!["name"]!.GetValue<string>());
        Assert.Equal(kernel, await _server.Boot.GetByteArrayAsync("files/bootenvs/listed/vmlinuz-6.1"));

        // Installing again replaces the file in place rather than failing on it.
        await InstallAsync("listed", $"?image={sha}");
        Assert.Equal(kernel, await _server.Boot.GetByteArrayAsync("files/bootenvs/listed/vmlinuz-6.1"));
    }

    [SkippableFact]
    public async Task A_hostile_tar_writes_nothing_outside_the_bootenv_tree()
    {
        Prerequisite.RequireCommand("bsdtar");
        var outside = Directory.CreateDirectory(Path.Combine(_work.FullName, "outside")).FullName;
        var archive = Path.Combine(_work.FullName, "hostile.tar");
        await using (var file = File.Create(archive))
        await using (var writer = new TarWriter(file, TarEntryFormat.Pax))
        {
            foreach (var name in new[] { "ok.txt", "../escaped.txt", "deep/../../escaped-too.txt", "/absolute.txt" })
            {
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream("x"u8.ToArray()) });
            }
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, "way-out") { LinkName = outside });
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "way-out/through.txt") { DataStream = new MemoryStream("x"u8.ToArray()) });
        }
        var sha = await UploadAsync(archive, "hostile.tar");
        await CreateBootEnvAsync("victim");

        var problem = await InstallAsync("victim", $"?image={sha}", HttpStatusCode.UnprocessableEntity);

        var reasons = string.Join("\n", problem["reasons"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Contains("../escaped.txt", reasons);
        Assert.Empty(Directory.GetFileSystemEntries(outside));
        Assert.False(File.Exists(Path.Combine(_server.Options.DataDir, "files", "bootenvs", "escaped.txt")));
        Assert.False(File.Exists(Path.Combine(_server.Options.DataDir, "files", "escaped-too.txt")));
        Assert.True(File.Exists(Path.Combine(BootEnvTree("victim"), "absolute.txt")));
        Assert.False(Path.Exists(Path.Combine(BootEnvTree("victim"), "way-out")));
    }

    [SkippableFact]
    public async Task A_tar_holding_a_FIFO_or_a_device_is_refused_and_writes_nothing()
    {
        Prerequisite.RequireCommand("bsdtar");
        var archive = Path.Combine(_work.FullName, "special.tar");
        await using (var file = File.Create(archive))
        await using (var writer = new TarWriter(file, TarEntryFormat.Pax))
        {
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "ok.txt") { DataStream = new MemoryStream("x"u8.ToArray()) });
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Fifo, "pipe"));
            // The root disk's block device (8,0): as root, bsdtar would make the node and the boot port would serve the disk.
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.BlockDevice, "disk") { DeviceMajor = 8, DeviceMinor = 0 });
        }
        var sha = await UploadAsync(archive, "special.tar");
        await CreateBootEnvAsync("special");

        var problem = await InstallAsync("special", $"?image={sha}", HttpStatusCode.UnprocessableEntity);

        var reasons = string.Join("\n", problem["reasons"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Contains("pipe", reasons);
        Assert.Contains("disk", reasons);
        Assert.False(Path.Exists(Path.Combine(BootEnvTree("special"), "pipe")));
        Assert.False(Path.Exists(Path.Combine(BootEnvTree("special"), "disk")));
        Assert.False(Path.Exists(Path.Combine(BootEnvTree("special"), "ok.txt")));
    }

    [SkippableFact]
    public async Task A_symlink_that_reads_as_inside_but_resolves_outside_is_removed()
    {
        Prerequisite.RequireCommand("bsdtar");
        // Another bootenv's tree: under the files root, so only the check at install keeps it from this tree's links.
        Directory.CreateDirectory(BootEnvTree("other"));
        await File.WriteAllTextAsync(Path.Combine(BootEnvTree("other"), "secret.txt"), "not this bootenv's");
        var archive = Path.Combine(_work.FullName, "chain.tar");
        await using (var file = File.Create(archive))
        await using (var writer = new TarWriter(file, TarEntryFormat.Pax))
        {
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, "a"));
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, "a/b"));
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, "a/b/up") { LinkName = ".." });
            // As text a/b/up/../../other is a/other, inside; the kernel follows up to a first, so it is ../other.
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, "hop") { LinkName = "a/b/up/../../other" });
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, "sneaky") { LinkName = "hop/secret.txt" });
        }
        var sha = await UploadAsync(archive, "chain.tar");
        await CreateBootEnvAsync("chain");

        await InstallAsync("chain", $"?image={sha}");

        await (await _server.Boot.GetAsync("files/bootenvs/chain/sneaky")).Expect(HttpStatusCode.NotFound);
        Assert.False(Path.Exists(Path.Combine(BootEnvTree("chain"), "hop")));
    }

    [Fact]
    public async Task Installing_into_a_bootenv_that_does_not_exist_is_404()
    {
        await (await _server.Api.PostAsync($"bootenvs/nope/install?image={new string('c', 64)}", null)).Expect(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Installing_an_image_that_was_never_uploaded_is_404()
    {
        await CreateBootEnvAsync("empty");
        await (await _server.Api.PostAsync($"bootenvs/empty/install?image={new string('c', 64)}", null)).Expect(HttpStatusCode.NotFound);
    }
}
