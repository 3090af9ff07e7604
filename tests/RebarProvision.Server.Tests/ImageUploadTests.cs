using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace RebarProvision.Server.Tests;

/// <summary>Uploading images through the API on the real server: streamed, sha256-verified, limited, restartable.</summary>
public sealed class ImageUploadTests : IAsyncLifetime
{
    private const long Size = 20L << 20;
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync(o => o.ImageSizeLimit = 32L << 20);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private string Blobs => Path.Combine(_server.Options.DataDir, "images", "sha256");

    private string Temporaries => Path.Combine(_server.Options.DataDir, "images", "tmp");

    private async Task<HttpResponseMessage> UploadAsync(HttpContent content, string name, string? sha256)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"images/upload?name={Uri.EscapeDataString(name)}") { Content = content };
        if (sha256 is not null)
        {
            request.Headers.Add("X-Content-Sha256", sha256);
        }
        return await _server.Api.SendAsync(request);
    }

    [Fact]
    public async Task A_20_MiB_upload_is_streamed_into_a_blob_named_by_its_sha256()
    {
        var sha = ImageContent.Sha256Of(Size);
        var image = await (await (await UploadAsync(new ImageContent(Size, announceLength: false), "rootfs.img", sha)).Expect(HttpStatusCode.Created)).JsonAsync();

        Assert.Equal(sha, image["sha256"]!.GetValue<string>());
        Assert.Equal(Size, image["size"]!.GetValue<long>());
        Assert.Equal("rootfs.img", image["name"]!.GetValue<string>());
        Assert.Equal(["test-node"], image["nodes"]!.AsArray().Select(n => n!.GetValue<string>()));
        await using (var blob = File.OpenRead(Path.Combine(Blobs, sha)))
        {
            Assert.Equal(sha, Convert.ToHexStringLower(await SHA256.HashDataAsync(blob)));
        }

        var listed = await (await _server.Api.GetAsync("images")).JsonAsync();
        Assert.Equal(sha, Assert.Single(listed.AsArray())!["sha256"]!.GetValue<string>());

        using var range = new HttpRequestMessage(HttpMethod.Get, $"images/{sha}/blob");
        range.Headers.Range = new RangeHeaderValue(10_000_000, 10_000_099);
        var part = await (await (await _server.Api.SendAsync(range)).Expect(HttpStatusCode.PartialContent)).Content.ReadAsByteArrayAsync();
        Assert.Equal(Enumerable.Range(10_000_000, 100).Select(i => ImageContent.ByteAt(i)), part);
    }

    [Fact]
    public async Task Uploading_the_same_image_again_answers_200_and_keeps_one_image()
    {
        var sha = ImageContent.Sha256Of(1 << 20, seed: 2);
        await (await UploadAsync(new ImageContent(1 << 20, seed: 2), "vmlinuz", sha)).Expect(HttpStatusCode.Created);
        var again = await (await (await UploadAsync(new ImageContent(1 << 20, seed: 2), "vmlinuz", null)).Expect(HttpStatusCode.OK)).JsonAsync();

        Assert.Equal(sha, again["sha256"]!.GetValue<string>());
        Assert.Single((await (await _server.Api.GetAsync("images")).JsonAsync()).AsArray());
        Assert.Equal([sha], Directory.GetFiles(Blobs).Select(Path.GetFileName));
        Assert.Empty(Directory.GetFiles(Temporaries));
    }

    [Fact]
    public async Task A_wrong_sha256_is_refused_with_400_naming_the_header_and_nothing_is_stored()
    {
        var wrong = new string('0', 64);
        var problem = await (await (await UploadAsync(new ImageContent(3 << 20), "initrd.img", wrong)).Expect(HttpStatusCode.BadRequest)).JsonAsync();

        Assert.NotNull(problem["errors"]!["X-Content-Sha256"]);
        Assert.Contains(ImageContent.Sha256Of(3 << 20), problem["detail"]!.GetValue<string>());
        Assert.Empty((await (await _server.Api.GetAsync("images")).JsonAsync()).AsArray());
        Assert.False(Directory.Exists(Blobs) && Directory.EnumerateFiles(Blobs).Any());
        Assert.Empty(Directory.GetFiles(Temporaries));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_upload_over_the_size_limit_is_refused_with_413_and_nothing_is_stored(bool announceLength)
    {
        // A client announcing its length waits for 100-continue and gets the 413 without sending; one streaming
        // chunks is read up to the limit and answered once the server has drained its overshoot.
        using var request = new HttpRequestMessage(HttpMethod.Post, "images/upload?name=huge.iso") { Content = new ImageContent(40L << 20, announceLength) };
        request.Headers.ExpectContinue = announceLength;
        // A cold server may take longer than HttpClient's one second to refuse; curl and rebarctl wait as long.
        using var client = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromSeconds(30) }) { BaseAddress = _server.Api.BaseAddress };
        client.DefaultRequestHeaders.Authorization = _server.Api.DefaultRequestHeaders.Authorization;
        var response = await client.SendAsync(request);

        await response.Expect(HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("33554432 bytes", (await response.JsonAsync())["detail"]!.GetValue<string>());
        Assert.Empty((await (await _server.Api.GetAsync("images")).JsonAsync()).AsArray());
        Assert.False(Directory.Exists(Temporaries) && Directory.EnumerateFiles(Temporaries).Any());
    }

    [Fact]
    public async Task An_upload_without_a_name_is_refused()
    {
        using var upload = new ImageContent(10);
        var problem = await (await (await _server.Api.PostAsync("images/upload", upload)).Expect(HttpStatusCode.BadRequest)).JsonAsync();
        Assert.NotNull(problem["errors"]!["name"]);
    }

    [Fact]
    public async Task A_blob_this_node_does_not_hold_is_404()
    {
        await (await _server.Api.GetAsync($"images/{new string('a', 64)}/blob")).Expect(HttpStatusCode.NotFound);
    }
}
