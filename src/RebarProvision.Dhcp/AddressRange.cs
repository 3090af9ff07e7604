namespace RebarProvision.Dhcp;

/// <summary>An inclusive range of IPv4 addresses as host-order integers, with the picking arithmetic on it.</summary>
public readonly record struct AddressRange(uint First, uint Last)
{
    public bool Contains(uint address) => address >= First && address <= Last;

    public long Count => Last >= First ? (long)Last - First + 1 : 0;

    /// <summary>
    /// The lowest address from <paramref name="from"/> on that <paramref name="isExcluded"/> does not rule out
    /// (reserved addresses, the server's own), or null past the end.
    /// </summary>
    /// <remarks>The predicate gets <paramref name="state"/> rather than capturing it, so a search allocates no closure.</remarks>
    public uint? FirstAllowed<TState>(uint from, TState state, Func<TState, uint, bool> isExcluded)
    {
        for (var a = (ulong)Math.Max(from, First); a <= Last; a++)
        {
            if (!isExcluded(state, (uint)a))
            {
                return (uint)a;
            }
        }
        return null;
    }
}
