using System.Data.Common;
using RebarProvision.Model;

namespace RebarProvision.Store;

/// <summary>
/// How a lease is spelled in both stores' rows (states as lower-case words, addresses in dotted form), and the SQL
/// both dialects read alike. Parameters are written <c>$1</c>, <c>$2</c>: PostgreSQL's positions, and to SQLite
/// names that the SQLite store binds as such.
/// </summary>
internal static class LeaseRows
{
    /// <summary>The columns every lease query reads, in the order <see cref="Read"/> maps them.</summary>
    public const string Columns = "addr, subnet, token, state, expires_at, node, revision, created_at, updated_at";

    /// <summary>A lease that holds its address (until its expiry).</summary>
    public const string Active = "state IN ('offered', 'bound')";

    /// <summary>$1 subnet, $2 now: the lease inactive longest (see <see cref="ILeaseStore.FindMostExpiredAsync"/>).</summary>
    public const string FindMostExpiredSql =
        $"""
        SELECT {Columns} FROM leases
        WHERE subnet = $1 AND (state IN ('expired', 'released') OR expires_at <= $2)
        ORDER BY expires_at, addr_int LIMIT 1
        """;

    /// <summary>$1 addr.</summary>
    public const string DeleteSql = "DELETE FROM leases WHERE addr = $1";

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

    /// <summary>
    /// Whether lease a is the token's lease to report before lease b: an offered or bound row first, then the latest
    /// written (update time in UTC ticks, then revision). The order of PostgreSQL's token look-up, for the stores to agree.
    /// </summary>
    public static bool Precedes(LeaseState aState, long aUpdatedAt, long aRevision, LeaseState bState, long bUpdatedAt, long bRevision)
    {
        var aActive = aState is LeaseState.Offered or LeaseState.Bound;
        var bActive = bState is LeaseState.Offered or LeaseState.Bound;
        if (aActive != bActive)
        {
            return aActive;
        }
        return aUpdatedAt != bUpdatedAt ? aUpdatedAt > bUpdatedAt : aRevision > bRevision;
    }

    /// <summary>
    /// A row read with <see cref="Columns"/>. Times are timestamptz in PostgreSQL and UTC microseconds in SQLite
    /// (<paramref name="microseconds"/>).
    /// </summary>
    public static Lease Read(DbDataReader reader, bool microseconds) => new()
    {
        Addr = reader.GetString(0),
        Subnet = reader.GetString(1),
        Token = reader.GetString(2),
        State = ParseState(reader.GetString(3)),
        ExpiresAt = Time(reader, 4, microseconds),
        Node = reader.GetString(5),
        Revision = reader.GetInt64(6),
        CreatedAt = Time(reader, 7, microseconds),
        UpdatedAt = Time(reader, 8, microseconds),
    };

    private static DateTimeOffset Time(DbDataReader reader, int ordinal, bool microseconds) =>
        microseconds ? StoreTime.FromMicroseconds(reader.GetInt64(ordinal)) : reader.GetFieldValue<DateTimeOffset>(ordinal);

    /// <summary>The address as a host-order integer; the dotted form is the row's key, so it must be canonical.</summary>
    public static (string Addr, uint Value) Address(string addr)
    {
        // Already canonical (as every address the DHCP server writes is): keep the string rather than format it again.
        if (Ipv4Network.TryParseCanonical(addr, out var canonical))
        {
            return (addr, canonical);
        }
        var value = AddressValue(addr);
        return (Ipv4Network.Format(value), value);
    }

    /// <summary>The address as a host-order integer only, for look-ups that need no canonical text.</summary>
    public static uint AddressValue(string addr) =>
        Ipv4Network.TryParseAddress(addr, out var value)
            ? value
            : throw new ArgumentException($"'{addr}' is not an IPv4 address", nameof(addr));

    /// <summary>Addresses per query when looking for unused ones: one index range read, small enough to stay cheap.</summary>
    public const uint UnusedSearchWindow = 1024;

    /// <summary>
    /// Adds the addresses of [<paramref name="from"/>, <paramref name="to"/>] missing from <paramref name="used"/>
    /// (ascending) to <paramref name="found"/>, until it holds <paramref name="max"/>.
    /// </summary>
    public static void AddUnused(uint from, uint to, IReadOnlyList<long> used, List<uint> found, int max)
    {
        var next = 0;
        for (var address = (long)from; address <= to && found.Count < max; address++)
        {
            while (next < used.Count && used[next] < address)
            {
                next++;
            }
            if (next < used.Count && used[next] == address)
            {
                continue;
            }
            found.Add((uint)address);
        }
    }

    /// <summary>
    /// The windowed search both stores share: <paramref name="usedIn"/> reads the used addresses of one window,
    /// ascending; windows follow each other until <paramref name="max"/> are found or the range ends.
    /// </summary>
    public static async ValueTask<IReadOnlyList<uint>> FindUnusedAsync(
        uint first, uint last, int max, Func<uint, uint, Task<IReadOnlyList<long>>> usedIn)
    {
        var found = new List<uint>(Math.Max(0, Math.Min(max, 256)));
        for (var from = (long)first; from <= last && found.Count < max; from += UnusedSearchWindow)
        {
            var to = (uint)Math.Min(last, from + UnusedSearchWindow - 1);
            AddUnused((uint)from, to, await usedIn((uint)from, to), found, max);
        }
        return found;
    }
}
