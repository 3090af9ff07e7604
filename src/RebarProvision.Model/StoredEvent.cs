using System.Text.Json.Nodes;

namespace RebarProvision.Model;

/// <summary>Something that happened: machine.created, lease.bound, bootenv.changed, ... with a snapshot of the object.</summary>
public sealed record StoredEvent
{
    public long Id { get; init; }

    public DateTimeOffset Time { get; init; }

    public required string Kind { get; init; }

    public required string Key { get; init; }

    public string Actor { get; init; } = "system";

    public JsonNode? Object { get; init; }
}
