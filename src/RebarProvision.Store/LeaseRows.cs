using RebarProvision.Model;

namespace RebarProvision.Store;

/// <summary>How a lease is spelled in both stores' rows: states as lower-case words, addresses in dotted form.</summary>
internal static class LeaseRows
{
    public const string Offered = "offered";
    public const string Bound = "bound";
    public const string Expired = "expired";

    public static string StateText(LeaseState state) => state switch
    {
        LeaseState.Offered => Offered,
        LeaseState.Bound => Bound,
        LeaseState.Expired => Expired,
        LeaseState.Declined => "declined",
        LeaseState.Released => "released",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "unknown lease state"),
    };

    public static LeaseState ParseState(string text) => text switch
    {
        Offered => LeaseState.Offered,
        Bound => LeaseState.Bound,
        Expired => LeaseState.Expired,
        "declined" => LeaseState.Declined,
        "released" => LeaseState.Released,
        _ => throw new InvalidDataException($"unknown lease state '{text}' in the store"),
    };

    /// <summary>The address as a host-order integer; the dotted form is the row's key, so it must be canonical.</summary>
    public static (string Addr, uint Value) Address(string addr) =>
        Ipv4Network.TryParseAddress(addr, out var value)
            ? (Ipv4Network.Format(value), value)
            : throw new ArgumentException($"'{addr}' is not an IPv4 address", nameof(addr));
}
