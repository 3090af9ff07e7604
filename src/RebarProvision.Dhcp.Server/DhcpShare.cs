namespace RebarProvision.Dhcp.Server;

/// <summary>
/// This node's share of the new clients: the <see cref="Index"/>-th of <see cref="Count"/> live nodes, or all of
/// them when <see cref="Index"/> is -1 (a lone node, or one that cannot see the others).
/// </summary>
public sealed record DhcpShare(int Index, int Count)
{
    public static readonly DhcpShare All = new(-1, 1);

    /// <summary>RFC 3074 with Kea's assignment: the hash modulo the number of nodes picks the one that offers.</summary>
    public bool Offers(byte hash) => Index < 0 || hash % Count == Index;

    /// <summary>
    /// Where this node's nextFree search starts in <paramref name="range"/>: the start of its own slice, so nodes
    /// offering at once do not walk the same addresses in step (each offer would then lose the other's claim, a NAK).
    /// </summary>
    public uint SliceStart(AddressRange range) =>
        Index <= 0 || Count <= 1 ? range.First : (uint)(range.First + (range.Count * Index / Count));
}
