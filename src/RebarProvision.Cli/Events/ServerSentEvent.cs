namespace RebarProvision.Cli.Events;

/// <summary>One dispatched Server-Sent Event: its id, event type and data (WHATWG HTML §9.2 "event stream").</summary>
public sealed record ServerSentEvent(string? Id, string Type, string Data);
