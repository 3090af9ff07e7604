using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Net.Http.Headers;
using RebarProvision.Model;
using RebarProvision.Rendering;
using RebarProvision.Server.Api;
using RebarProvision.Server.Auth;
using RebarProvision.Server.Hosting;
using RebarProvision.Server.Machines;
using RebarProvision.Server.Objects;

namespace RebarProvision.Server.Boot;

/// <summary>
/// The HTTP boot service (plain HTTP, port 8091): boot files of <see cref="BootFiles"/> with Range, HEAD and
/// ETags, and the two things a booting machine posts back: its installer callback and its discovery inventory.
/// Posts carry the machine-scoped token in <c>?token=</c>, because a busybox wget in an initramfs can set no header.
/// </summary>
public static class BootEndpoints
{
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    public static void MapBootEndpoints(this IEndpointRouteBuilder app, Listener listener)
    {
        app.MapMethods("/{**path}", ["GET", "HEAD"], ServeAsync).WithMetadata(listener).ExcludeFromDescription();
        app.MapPost("/machines/{uuid}/callback", CallbackAsync).WithMetadata(listener).ExcludeFromDescription();
        app.MapPost("/machines/{uuid}/inventory", InventoryAsync).WithMetadata(listener).ExcludeFromDescription();
    }

    private static async Task<IResult> ServeAsync(string? path, HttpContext http, BootFiles files, ILoggerFactory logs, CancellationToken ct)
    {
        BootFile? file;
        try
        {
            file = await files.ResolveAsync(path ?? "", http.Connection.RemoteIpAddress, http.Connection.LocalIpAddress, ct);
        }
        catch (RenderException e)
        {
            logs.CreateLogger("RebarProvision.Boot").LogWarning("Rendering {Path} failed: {Error}", path, e.Message);
            return Results.Problem(statusCode: 500, title: "Template error", detail: e.Message);
        }
        return file switch
        {
            BootFile.Rendered rendered => Rendered(http, rendered.File),
            BootFile.OnDisk disk => OnDisk(disk.FullPath),
            _ => Results.NotFound(),
        };
    }

    private static IResult Rendered(HttpContext http, RenderedFile file)
    {
        var etag = file.ETag.StartsWith('"') ? file.ETag : $"\"{file.ETag}\"";
        if (http.Request.Headers.IfNoneMatch.ToString() == etag)
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }
        http.Response.Headers.ETag = etag;
        http.Response.Headers.CacheControl = "no-cache";
        return Results.Text(file.Contents, file.ContentType);
    }

    /// <summary>Range, HEAD, If-None-Match and If-Modified-Since come from the framework's file result, which sends the file without copying it through us.</summary>
    private static IResult OnDisk(string fullPath)
    {
        var info = new FileInfo(fullPath);
        var etag = new EntityTagHeaderValue($"\"{info.Length:x}-{info.LastWriteTimeUtc.Ticks:x}\"");
        var type = ContentTypes.TryGetContentType(fullPath, out var known) ? known : "application/octet-stream";
        return Results.File(fullPath, type, enableRangeProcessing: true, lastModified: info.LastWriteTimeUtc, entityTag: etag);
    }

    /// <summary>An installer reports <c>status=installed</c> or <c>status=failed&amp;message=…</c>, as a form or as JSON.</summary>
    private static async Task<IResult> CallbackAsync(string uuid, string? token, HttpContext http, ObjectCache cache, MachineTokens tokens, MachineLifecycle lifecycle, CancellationToken ct)
    {
        if (cache.Get<Machine>(uuid) is not { } machine)
        {
            return Problems.NotFound($"machine {uuid} does not exist");
        }
        if (!tokens.IsValidFor(token ?? Bearer(http), machine.Uuid))
        {
            return Results.Problem(statusCode: 401, title: "Unauthorized", detail: "a valid machine token for this machine is required (?token=)");
        }
        var (status, message, report) = await ReadCallbackAsync(http.Request, ct);
        try
        {
            var updated = await lifecycle.CallbackAsync(machine.CloneAs<Machine>(), status, message, $"machine:{machine.Name}", report, ct);
            return Results.Json(new { state = updated.State, bootEnv = updated.BootEnv }, Model.ModelJson.Options);
        }
        catch (ValidationFailedException e)
        {
            return Problems.Validation(e.Errors);
        }
    }

    /// <summary>The discovery image posts what it found (CPUs, memory, disks, NICs, serial, vendor) as JSON.</summary>
    private static async Task<IResult> InventoryAsync(string uuid, string? token, HttpContext http, ObjectCache cache, MachineTokens tokens, Inventory inventory, CancellationToken ct)
    {
        if (cache.Get<Machine>(uuid) is not { } machine)
        {
            return Problems.NotFound($"machine {uuid} does not exist");
        }
        if (!tokens.IsValidFor(token ?? Bearer(http), machine.Uuid))
        {
            return Results.Problem(statusCode: 401, title: "Unauthorized", detail: "a valid machine token for this machine is required (?token=)");
        }
        JsonObject? report;
        try
        {
            report = await JsonSerializer.DeserializeAsync<JsonObject>(http.Request.Body, cancellationToken: ct);
        }
        catch (JsonException e)
        {
            return Problems.BadRequest(ProblemFilter.FieldOf(e.Path), e.Message.Split(" Path:", 2)[0]);
        }
        var copy = machine.CloneAs<Machine>();
        copy.Inventory = report;
        await inventory.UpdateAsync(copy, copy.Revision, $"machine:{machine.Name}", ct);
        return Results.NoContent();
    }

    /// <summary>A form (<c>status=installed</c>, what busybox wget posts), JSON (<c>{"status","message","inventory"}</c>), or a bare status.</summary>
    private static async Task<(string Status, string? Message, JsonObject? Inventory)> ReadCallbackAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(ct);
            return (form["status"].ToString(), form["message"].FirstOrDefault(), null);
        }
        if (request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true)
        {
            var body = await JsonSerializer.DeserializeAsync<JsonObject>(request.Body, cancellationToken: ct);
            return (body?["status"]?.ToString() ?? "", body?["message"]?.ToString(), body?["inventory"]?.DeepClone() as JsonObject);
        }
        using var reader = new StreamReader(request.Body);
        var text = (await reader.ReadToEndAsync(ct)).Trim();
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(text);
        return query.TryGetValue("status", out var status) ? (status.ToString(), query.TryGetValue("message", out var m) ? m.ToString() : null, null) : (text, null, null);
    }

    private static string? Bearer(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
    }
}
