using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using RebarProvision.Model;
using RebarProvision.Server.Boot;
using RebarProvision.Server.Cluster;
using RebarProvision.Server.Images;
using RebarProvision.Server.Objects;
using RebarProvision.Store;

namespace RebarProvision.Server.Api;

/// <summary>
/// Image management beside the generic <c>/images</c> CRUD: streamed, sha256-verified uploads; blob downloads with
/// Range; installing images into a bootenv's tree; garbage collection of blobs and objects.
/// </summary>
public static class ImageEndpoints
{
    /// <summary>The upload's expected sha256 (hex); a body with another digest is refused and nothing is kept.</summary>
    public const string Sha256Header = "X-Content-Sha256";

    private const long DrainMargin = 16L << 20;

    public static void MapImageEndpoints(this RouteGroupBuilder api)
    {
        var images = api.MapGroup("/images").WithTags("images");
        images.MapPost("/upload", UploadAsync)
            .Accepts<Stream>("application/octet-stream")
            .Produces<Image>(StatusCodes.Status201Created)
            .Produces<Image>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        images.MapGet("/{sha256}/blob", Blob)
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream")
            .ProducesProblem(StatusCodes.Status404NotFound);
        images.MapPost("/gc", async (ImageLibrary library, HttpContext http, CancellationToken ct) =>
            Results.Json(await library.CollectAsync(Actor.Of(http), ct)))
            .Produces<ImageCollection>();

        api.MapPost("/bootenvs/{name}/install", InstallAsync).WithTags("bootenvs")
            .Produces<BootEnvInstallation>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
    }

    /// <summary>
    /// <c>POST /images/upload?name=vmlinuz</c> with the raw file as the body, streamed to disk while it is hashed.
    /// Sending the same file again is harmless (200 instead of 201), which is how an interrupted upload is restarted.
    /// </summary>
    private static async Task<IResult> UploadAsync(string? name, HttpContext http, ImageStore store, ImageLibrary library, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(name) || !SafePath.TryClean(name, out _))
        {
            return Problems.BadRequest("name", "a file name for the image is required (?name=), without '..', '\\' or control characters");
        }
        var expected = http.Request.Headers[Sha256Header].ToString();
        if (expected.Length > 0 && !ImageStore.IsDigest(expected))
        {
            return Problems.BadRequest(Sha256Header, "must be a sha256 of 64 hex digits");
        }
        if (http.Request.ContentLength > store.SizeLimit)
        {
            return TooLarge(store.SizeLimit);
        }
        // Kestrel's default body limit (30 MB) is far below an ISO's size; ours replaces it. The margin lets Kestrel
        // drain a body that overshoots a little after our 413, so the client reads the answer instead of a broken pipe.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = store.SizeLimit > long.MaxValue - DrainMargin ? null : store.SizeLimit + DrainMargin;
        }
        ImageReceipt receipt;
        try
        {
            receipt = await store.ReceiveAsync(http.Request.Body, expected.Length > 0 ? expected : null, ct);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(store.SizeLimit);
        }
        switch (receipt)
        {
            case ImageReceipt.TooLarge tooLarge:
                return TooLarge(tooLarge.Limit);
            case ImageReceipt.Mismatch mismatch:
                return Problems.BadRequest(Sha256Header, $"the body's sha256 is {mismatch.Actual}, not {mismatch.Expected.ToLowerInvariant()}; nothing was stored");
            case ImageReceipt.Received received:
                var (image, created) = await library.AddAsync(received, name, Actor.Of(http), ct);
                http.Response.Headers.ETag = Etag.Of(image.Revision);
                return created
                    ? Results.Created($"/api/v1/images/{image.Sha256}", (object)image)
                    : Results.Json((object)image, ModelJson.Options);
            default:
                throw new InvalidOperationException($"unknown receipt {receipt}");
        }
    }

    /// <summary>A blob this node lacks is fetched from a peer first, unless a peer is asking (it would ask back).</summary>
    private static async Task<IResult> Blob(string sha256, ImageStore store, PeerBlobs peers, HttpContext http, CancellationToken ct)
    {
        var path = http.User.Identity?.Name == PeerCredential.PrincipalName ? store.Find(sha256) : await peers.FindOrFetchAsync(sha256, ct);
        if (path is null)
        {
            return Problems.NotFound($"no blob {sha256} on this node");
        }
        var info = new FileInfo(path);
        // The digest is the content, so it is the strongest ETag there is.
        return Results.File(path, "application/octet-stream", enableRangeProcessing: true,
            lastModified: info.LastWriteTimeUtc, entityTag: new EntityTagHeaderValue($"\"{sha256.ToLowerInvariant()}\""));
    }

    /// <summary><c>POST /bootenvs/{name}/install?image=&lt;sha256&gt;[&amp;kind=iso|tar|kernel|initrd|rootfs]</c>; without image, every uploaded image the bootenv lists.</summary>
    private static async Task<IResult> InstallAsync(string name, string? image, string? kind, Inventory inventory, ImageInstaller installer, CancellationToken ct)
    {
        if (await inventory.Objects.GetAsync(ObjectKind.BootEnvs, name, ct) is not BootEnv bootEnv)
        {
            throw new StoreNotFoundException($"bootenvs/{name} does not exist");
        }
        try
        {
            return Results.Json(await installer.InstallAsync(bootEnv, image, kind, ct));
        }
        catch (ImageInstallException e)
        {
            return Results.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Image not installed", detail: e.Message,
                extensions: new Dictionary<string, object?> { ["reasons"] = e.Reasons });
        }
    }

    private static IResult TooLarge(long limit) =>
        Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Image too large",
            detail: $"images are limited to {limit} bytes (imageSizeLimit, --image-size-limit)");
}
