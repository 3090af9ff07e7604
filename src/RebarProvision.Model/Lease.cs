namespace RebarProvision.Model;

/// <summary>
/// An address handed to a client. Leases have a table of their own: the database enforces one lease per
/// (subnet, address) and one active lease per token, so no two nodes can bind an address twice.
/// </summary>
public sealed record Lease
{
    public required string Addr { get; init; }

    /// <summary>The client's MAC, or its client identifier (option 61) when it sent one.</summary>
    public required string Token { get; init; }

    public required string Subnet { get; init; }

    public LeaseState State { get; init; }

    public DateTimeOffset ExpiresAt { get; init; }

    /// <summary>The node that last answered for this lease.</summary>
    public string Node { get; init; } = "";

    public long Revision { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Offered or bound, and not yet past its expiry.</summary>
    public bool IsActiveAt(DateTimeOffset now) => State is LeaseState.Offered or LeaseState.Bound && ExpiresAt > now;
}
