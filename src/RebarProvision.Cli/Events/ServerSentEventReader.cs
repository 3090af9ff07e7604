using System.Runtime.CompilerServices;
using System.Text;

namespace RebarProvision.Cli.Events;

/// <summary>Reads an <c>text/event-stream</c> body into events, following the WHATWG HTML §9.2.6 interpretation rules.</summary>
public static class ServerSentEventReader
{
    public static async IAsyncEnumerable<ServerSentEvent> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string? id = null;
        var type = "message";
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                // A blank line dispatches; one with no data lines is not an event (§9.2.6 "dispatch the event").
                if (data.Length > 0)
                {
                    yield return new ServerSentEvent(id, type, data.ToString(0, data.Length - 1));
                }
                data.Clear();
                type = "message";
                continue;
            }
            if (line[0] == ':')
            {
                continue;
            }
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..];
            if (value.StartsWith(' '))
            {
                value = value[1..];
            }
            switch (field)
            {
                case "data":
                    data.Append(value).Append('\n');
                    break;
                case "event":
                    type = value;
                    break;
                case "id" when !value.Contains('\0', StringComparison.Ordinal):
                    id = value;
                    break;
            }
        }
    }
}
