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
        // Also under env.machine_url (…/machines/<uuid>/<boot secret>/), so templates build every URL from one base.
        foreach (var prefix in new[] { "/machines/{uuid}", "/machines/{uuid}/{secret}" })
        {
            app.MapPost(prefix + "/callback", CallbackAsync).WithMetadata(listener).ExcludeFromDescription();
            app.MapPost(prefix + "/inventory", InventoryAsync).WithMetadata(listener).ExcludeFromDescription();
        }
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
            // The log gets the template, line and message; the unauthenticated client gets nothing it could learn from.
            logs.CreateLogger("RebarProvision.Boot").LogWarning("Rendering {Path} for {Client} failed: {Error}", path, http.Connection.RemoteIpAddress, e.Message);
            return Results.Problem(statusCode: 500, title: "Internal Server Error", detail: "the file could not be rendered; the server log says why");
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
    private static async Task<IResult> CallbackAsync(string uuid, string? secret, string? token, HttpContext http, ObjectCache cache, MachineTokens tokens,
        BootSecrets secrets, MachineLifecycle lifecycle, MachineReportLimiter limiter, CancellationToken ct)
    {
        if (Authorized(uuid, secret, token, http, cache, tokens, secrets) is not { } machine)
        {
            return Unauthorized();
        }
        var json = http.Request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true;
        // Only a JSON callback may carry an inventory; anything else is a status and a message.
        var limit = json ? BoundedBody.InventoryLimit : BoundedBody.CallbackLimit;
        if (await BoundedBody.ReadAsync(http.Request, limit, ct) is not { } body)
        {
            return BoundedBody.TooLarge(limit);
        }
        string status;
        string? message;
        JsonObject? report;
        try
        {
            (status, message, report) = ReadCallback(body, json);
        }
        catch (JsonException e)
        {
            return Problems.BadRequest(ProblemFilter.FieldOf(e.Path), e.Message.Split(" Path:", 2)[0]);
        }
        try
        {
            if (MachineLifecycle.ApplyCallback(machine.CloneAs<Machine>(), status, message, report) && !limiter.TryAcquire(machine.Uuid))
            {
                return TooManyReports(http);
            }
            var updated = await lifecycle.CallbackAsync(machine.CloneAs<Machine>(), status, message, $"machine:{machine.Name}", report, ct);
            return Results.Json(new { state = updated.State, bootEnv = updated.BootEnv }, Model.ModelJson.Options);
        }
        catch (ValidationFailedException e)
        {
            return Problems.Validation(e.Errors);
        }
    }

    /// <summary>
    /// The discovery image posts what it found (CPUs, memory, disks, NICs, serial, vendor) as JSON. A report equal to
    /// the stored one is not written again, so a machine that posts on every boot leaves one event, not one per post.
    /// </summary>
    private static async Task<IResult> InventoryAsync(string uuid, string? secret, string? token, HttpContext http, ObjectCache cache, MachineTokens tokens,
        BootSecrets secrets, Inventory inventory, MachineReportLimiter limiter, CancellationToken ct)
    {
        if (Authorized(uuid, secret, token, http, cache, tokens, secrets) is not { } machine)
        {
            return Unauthorized();
        }
        if (await BoundedBody.ReadAsync(http.Request, BoundedBody.InventoryLimit, ct) is not { } body)
        {
            return BoundedBody.TooLarge(BoundedBody.InventoryLimit);
        }
        JsonObject? report;
        try
        {
            report = JsonSerializer.Deserialize<JsonObject>(body);
        }
        catch (JsonException e)
        {
            return Problems.BadRequest(ProblemFilter.FieldOf(e.Path), e.Message.Split(" Path:", 2)[0]);
        }
        if (JsonNode.DeepEquals(report, machine.Inventory))
        {
            return Results.NoContent();
        }
        if (!limiter.TryAcquire(machine.Uuid))
        {
            return TooManyReports(http);
        }
        var copy = machine.CloneAs<Machine>();
        copy.Inventory = report;
        await inventory.UpdateAsync(copy, copy.Revision, $"machine:{machine.Name}", ct);
        return Results.NoContent();
    }

    /// <summary>
    /// The machine, when the token is its current one (and the secret in the path, if there is one). An unknown uuid
    /// answers exactly as a wrong token does, so the boot port tells nobody which uuids exist.
    /// </summary>
    private static Machine? Authorized(string uuid, string? secret, string? token, HttpContext http, ObjectCache cache, MachineTokens tokens, BootSecrets secrets) =>
        cache.Get<Machine>(uuid.ToLowerInvariant()) is { } machine
        && (secret is null || secrets.Matches(machine, secret))
        && tokens.IsValidFor(token ?? Bearer(http), machine)
            ? machine
            : null;

    private static IResult Unauthorized() =>
        Results.Problem(statusCode: 401, title: "Unauthorized", detail: "a valid machine token for this machine is required (?token=)");

    private static IResult TooManyReports(HttpContext http)
    {
        http.Response.Headers.RetryAfter = ((int)MachineReportLimiter.Refill.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many reports",
            detail: $"a machine may change itself {MachineReportLimiter.Burst} times in a row, then once per {MachineReportLimiter.Refill.TotalSeconds:0} s");
    }

    /// <summary>A form (<c>status=installed</c>, what busybox wget posts), JSON (<c>{"status","message","inventory"}</c>), or a bare status.</summary>
    private static (string Status, string? Message, JsonObject? Inventory) ReadCallback(byte[] body, bool json)
    {
        if (json)
        {
            var document = JsonSerializer.Deserialize<JsonObject>(body);
            return (document?["status"]?.ToString() ?? "", document?["message"]?.ToString(), document?["inventory"]?.DeepClone() as JsonObject);
        }
        var text = System.Text.Encoding.UTF8.GetString(body).Trim();
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(text);
        return query.TryGetValue("status", out var status) ? (status.ToString(), query.TryGetValue("message", out var m) ? m.ToString() : null, null) : (text, null, null);
    }

    private static string? Bearer(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
    }
}
