using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using RebarProvision.Cli.Http;

namespace RebarProvision.Cli.Events;

/// <summary>
/// An open <c>GET /api/v1/events/stream</c>. Once <see cref="OpenAsync"/> returns, the server has subscribed us,
/// so every later event matching the filters will arrive.
/// </summary>
public sealed class EventSubscription : IDisposable
{
    private readonly HttpResponseMessage _response;

    private EventSubscription(HttpResponseMessage response) => _response = response;

    /// <summary>The id of the last event read, to resume from after a reconnect.</summary>
    public long? LastId { get; private set; }

    /// <param name="kind">An event kind, or a prefix ending in '*' such as <c>machine.*</c>.</param>
    /// <param name="after">Replay stored events after this id first.</param>
    public static async Task<EventSubscription> OpenAsync(RebarClient client, string? kind, string? key, long? after, CancellationToken cancellationToken)
    {
        var parameters = new List<(string, string)>();
        if (kind is not null)
        {
            parameters.Add(("kind", kind));
        }
        if (key is not null)
        {
            parameters.Add(("key", key));
        }
        if (after is not null)
        {
            parameters.Add(("after", after.Value.ToString(CultureInfo.InvariantCulture)));
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, ApiPath.Query("events/stream", parameters));
        request.Headers.Accept.ParseAdd("text/event-stream");
        var response = await client.OpenAsync(request, cancellationToken);
        return new EventSubscription(response) { LastId = after };
    }

    /// <summary>Each event's JSON (id, time, kind, key, actor, object) until the server closes the stream.</summary>
    public async IAsyncEnumerable<JsonObject> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var stream = await _response.Content.ReadAsStreamAsync(cancellationToken);
        await foreach (var message in ServerSentEventReader.ReadAsync(stream, cancellationToken))
        {
            JsonObject? value;
            try
            {
                value = JsonNode.Parse(message.Data) as JsonObject;
            }
            catch (JsonException)
            {
                continue;
            }
            if (value is null)
            {
                continue;
            }
            if (long.TryParse(message.Id, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                LastId = id;
            }
            yield return value;
        }
    }

    public void Dispose() => _response.Dispose();
}
