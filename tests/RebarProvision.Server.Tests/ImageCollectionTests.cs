using System.Net;
using System.Text.Json.Nodes;

namespace RebarProvision.Server.Tests;

/// <summary>Garbage collection of image blobs and Image objects on the real server.</summary>
public sealed class ImageCollectionTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private string Blob(string sha) => Path.Combine(_server.Options.DataDir, "images", "sha256", sha);

    private async Task<string> UploadAsync(int seed)
    {
        using var upload = new ImageContent(256 << 10, seed: seed);
        var image = await (await (await _server.Api.PostAsync($"images/upload?name=image-{seed}", upload)).Expect(HttpStatusCode.Created)).JsonAsync();
        return image["sha256"]!.GetValue<string>();
    }

    [Fact]
    public async Task Collection_removes_blobs_no_image_names_and_images_whose_blob_is_gone()
    {
        var kept = await UploadAsync(1);
        var unreferenced = await UploadAsync(2);
        var blobless = await UploadAsync(3);
        await (await _server.Api.DeleteAsync($"images/{unreferenced}")).Expect(HttpStatusCode.OK);
        File.Delete(Blob(blobless));

        var report = await (await (await _server.Api.PostAsync("images/gc", null)).Expect(HttpStatusCode.OK)).JsonAsync();

        var removedBlob = Assert.Single(report["removedBlobs"]!.AsArray())!;
        Assert.Equal(unreferenced, removedBlob["sha256"]!.GetValue<string>());
        Assert.Equal(256 << 10, report["freedBytes"]!.GetValue<long>());
        Assert.Equal([blobless], report["removedImages"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.False(File.Exists(Blob(unreferenced)));
        Assert.True(File.Exists(Blob(kept)));
        var listed = (await (await _server.Api.GetAsync("images")).JsonAsync()).AsArray();
        Assert.Equal([kept], listed.Select(i => i!["sha256"]!.GetValue<string>()));

        var again = await (await _server.Api.PostAsync("images/gc", null)).JsonAsync();
        Assert.Empty(again["removedBlobs"]!.AsArray());
        Assert.Empty(again["removedImages"]!.AsArray());
    }

    [Fact]
    public async Task An_image_another_node_still_holds_survives_collection_without_this_node()
    {
        var sha = await UploadAsync(4);
        var image = await (await _server.Api.GetAsync($"images/{sha}")).JsonAsync();
        image["nodes"] = new JsonArray("test-node", "other-node");
        await (await _server.Api.PutJsonAsync($"images/{sha}", image.ToJsonString())).Expect(HttpStatusCode.OK);
        File.Delete(Blob(sha));

        var report = await (await _server.Api.PostAsync("images/gc", null)).JsonAsync();

        Assert.Empty(report["removedImages"]!.AsArray());
        var after = await (await (await _server.Api.GetAsync($"images/{sha}")).Expect(HttpStatusCode.OK)).JsonAsync();
        Assert.Equal(["other-node"], after["nodes"]!.AsArray().Select(n => n!.GetValue<string>()));
    }
}
