using System.Text.Json;
using RebarProvision.Model;
using RebarProvision.Server.Events;
using RebarProvision.Store;

namespace RebarProvision.Server.Api;

/// <summary>The event log (<c>GET /events</c>) and its live feed as Server-Sent Events (<c>GET /events/stream</c>).</summary>
public static class EventEndpoints
{
    public static void MapEventEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/events").WithTags("events");

        group.MapGet("/", async (long? after, string? kind, string? key, int? limit, IStore store, CancellationToken ct) =>
        {
            if (limit is < 1 or > 10_000)
            {
                throw new ValidationFailedException("limit", "must be between 1 and 10000");
            }
            var events = await store.Events.ListAsync(after ?? 0, kind, key, limit ?? 1000, ct);
            return Results.Json(events, ModelJson.Options);
        }).Produces<List<StoredEvent>>();

        group.MapGet("/stream", StreamAsync);
    }

    /// <summary>
    /// Streams events matching the filters; <c>kind</c> may end in '*' (e.g. <c>machine.*</c>). A client that
    /// reconnects with Last-Event-ID (or <c>?after=</c>) first gets what it missed from the store.
    /// </summary>
    private static async Task StreamAsync(HttpContext http, string? kind, string? key, long? after, IStore store, EventBus bus, CancellationToken ct)
    {
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        using var subscription = bus.Subscribe();
        var lastId = after ?? (long.TryParse(http.Request.Headers["Last-Event-ID"], out var id) ? id : -1);
        if (lastId >= 0)
        {
            foreach (var missed in await store.Events.ListAsync(lastId, null, key, 10_000, ct))
            {
                if (Matches(missed, kind, key))
                {
                    await WriteAsync(http, missed, ct);
                    lastId = missed.Id;
                }
            }
        }
        await http.Response.WriteAsync(": stream open\n\n", ct);
        await http.Response.Body.FlushAsync(ct);
        try
        {
            await foreach (var next in subscription.Reader.ReadAllAsync(ct))
            {
                if (next.Id > lastId && Matches(next, kind, key))
                {
                    await WriteAsync(http, next, ct);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The client went away.
        }
    }

    private static bool Matches(StoredEvent value, string? kind, string? key) =>
        (kind is null || (kind.EndsWith('*') ? value.Kind.StartsWith(kind[..^1], StringComparison.Ordinal) : value.Kind == kind))
        && (key is null || value.Key == key);

    private static async Task WriteAsync(HttpContext http, StoredEvent value, CancellationToken ct)
    {
        await http.Response.WriteAsync($"id: {value.Id}\nevent: {value.Kind}\ndata: {JsonSerializer.Serialize(value, ModelJson.Options)}\n\n", ct);
        await http.Response.Body.FlushAsync(ct);
    }
}
