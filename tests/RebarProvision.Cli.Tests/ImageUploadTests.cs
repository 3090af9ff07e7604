using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace RebarProvision.Cli.Tests;

/// <summary>
/// The client side of <c>POST /api/v1/images/upload?name=</c> (raw body, <c>X-Content-Sha256</c>, 201 with the
/// image), against a stand-in that checks what arrives exactly as the contract says.
/// </summary>
public sealed class ImageUploadTests : CliTest
{
    private sealed record Received(string Path, string? Name, string? Sha256Header, string BodySha256, long Length, string? ContentType);

    private static async Task<IResult> StoreAsync(HttpContext http, List<Received> received)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        long length = 0;
        int read;
        while ((read = await http.Request.Body.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            length += read;
        }
        var sha = Convert.ToHexStringLower(hash.GetHashAndReset());
        received.Add(new Received(http.Request.Path, http.Request.Query["name"], http.Request.Headers["X-Content-Sha256"], sha, length, http.Request.ContentType));
        return Results.Json(new { sha256 = sha, size = length, name = http.Request.Query["name"].ToString(), nodes = new[] { "n1" } }, statusCode: 201);
    }

    [Fact]
    public async Task Upload_streams_the_file_with_its_sha256_and_shows_progress()
    {
        var received = new List<Received>();
        await using var api = await FakeApi.StartAsync(http => StoreAsync(http, received));
        var path = Path.Combine(Path.GetTempPath(), $"rebarctl-image-{Guid.NewGuid():N}.img");
        var bytes = new byte[3_000_000];
        new Random(7).NextBytes(bytes);
        await System.IO.File.WriteAllBytesAsync(path, bytes);
        try
        {
            var run = (await Cli.RunAsync("images", "upload", path, "--name", "vmlinuz-6.1", "--endpoint", api.Endpoint)).Expect(0);

            var expected = Convert.ToHexStringLower(SHA256.HashData(bytes));
            var upload = Assert.Single(received);
            Assert.Equal("/api/v1/images/upload", upload.Path);
            Assert.Equal("vmlinuz-6.1", upload.Name);
            Assert.Equal(expected, upload.Sha256Header);
            Assert.Equal(expected, upload.BodySha256);
            Assert.Equal(bytes.Length, upload.Length);
            Assert.Equal("application/octet-stream", upload.ContentType);
            Assert.Equal($"uploaded images/{expected} (vmlinuz-6.1, 3000000 bytes)\n", run.Stdout);
            Assert.Contains("100%", run.Stderr);
            Assert.Contains("MB/s", run.Stderr);
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    [Fact]
    public async Task Upload_names_the_image_after_the_file_by_default()
    {
        var received = new List<Received>();
        await using var api = await FakeApi.StartAsync(http => StoreAsync(http, received));
        var path = File("initrd.img", "tiny");

        (await Cli.RunAsync("images", "upload", path, "--endpoint", api.Endpoint, "-o", "json")).Expect(0);

        Assert.Equal("initrd.img", Assert.Single(received).Name);
    }

    [Fact]
    public async Task Upload_of_a_missing_file_is_a_usage_error()
    {
        var run = await Cli.RunAsync("images", "upload", "/nonexistent/kernel");

        run.Expect(ExitCodes.UsageError);
        Assert.Contains("/nonexistent/kernel", run.Stderr);
    }
}
