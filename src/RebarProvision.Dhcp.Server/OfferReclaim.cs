namespace RebarProvision.Dhcp.Server;

/// <summary>What <see cref="OfferBook.TakeBack"/> did: took an offer back for the caller, had no need to, or could not.</summary>
internal readonly record struct OfferReclaim(uint? Address, bool SharesFull)
{
    /// <summary>The caller may hold another offer: its ingress and the subnet are under their shares and the pool is not dry.</summary>
    public static OfferReclaim NotNeeded => default;

    /// <summary>A share is full (or the pool dry) and every offer that could go is younger than the grace: no offer now.</summary>
    public static OfferReclaim AllTooYoung => new(null, true);

    public static OfferReclaim Taken(uint address) => new(address, false);
}
