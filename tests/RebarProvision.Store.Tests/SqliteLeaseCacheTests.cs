using CsCheck;
using RebarProvision.Model;
using RebarProvision.Store.Sqlite;

namespace RebarProvision.Store.Tests;

/// <summary>
/// The SQLite lease cache keeps rows as reference-free structs with each token's addresses in a chain; this holds it
/// to the plain answer (a dictionary of leases, searched the slow way) over random writes on a few addresses and
/// tokens, so chains are relinked, tokens move and numbers are reused all the time.
/// </summary>
public sealed class SqliteLeaseCacheTests
{
    private const uint Base = 0x0A000000; // 10.0.0.0
    private static readonly string[] Tokens = ["aa", "bb", "cc", "dd", "01:52:54:00:00:00:01"];
    private static readonly string[] Subnets = ["lab", "rack"];
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private sealed record Step(bool Remove, uint Addr, string Token, string Subnet, LeaseState State, int Minutes);

    private static readonly Gen<Step> Steps = Gen.Select(
        Gen.Int[0, 5], Gen.UInt[0, 7], Gen.Int[0, Tokens.Length - 1], Gen.Int[0, 1], Gen.Enum<LeaseState>(), Gen.Int[0, 3],
        (kind, addr, token, subnet, state, minutes) => new Step(kind == 0, Base + addr, Tokens[token], Subnets[subnet], state, minutes));

    [Fact]
    public void Answers_as_a_plain_dictionary_of_leases_would_after_any_writes()
    {
        Steps.Array[1, 80].Sample(steps =>
        {
            var cache = new SqliteLeaseCache();
            cache.Load([]);
            var model = new Dictionary<uint, Lease>();
            long revision = 0;
            foreach (var step in steps)
            {
                if (step.Remove)
                {
                    cache.Remove(step.Addr);
                    model.Remove(step.Addr);
                }
                else
                {
                    // Few distinct update times, so the revision often decides between a token's rows.
                    var lease = new Lease
                    {
                        Addr = Ipv4Network.Format(step.Addr),
                        Token = step.Token,
                        Subnet = step.Subnet,
                        State = step.State,
                        ExpiresAt = Start.AddHours(1),
                        Node = "n" + (revision % 2),
                        Revision = ++revision,
                        CreatedAt = Start,
                        UpdatedAt = Start.AddMinutes(step.Minutes),
                    };
                    cache.Put(lease);
                    model[step.Addr] = lease;
                }
                AssertSame(model, cache);
            }
        }, iter: 3_000);
    }

    [Fact]
    public void Loading_rows_replaces_what_was_there()
    {
        var cache = new SqliteLeaseCache();
        cache.Load([Lease("10.0.0.1", "aa"), Lease("10.0.0.2", "aa", LeaseState.Expired)]);
        cache.Load([Lease("10.0.0.3", "bb")]);

        Assert.Null(cache.Get(Base + 1));
        Assert.Null(cache.FindByToken("aa"));
        Assert.Equal(Lease("10.0.0.3", "bb"), cache.FindByToken("bb"));
        Assert.Equal([Base + 1, Base + 2], cache.FindUnused("lab", Base + 1, Base + 3, 5));
    }

    private static Lease Lease(string addr, string token, LeaseState state = LeaseState.Bound) => new()
    {
        Addr = addr,
        Token = token,
        Subnet = "lab",
        State = state,
        ExpiresAt = Start.AddHours(1),
        Node = "n1",
        Revision = 1,
        CreatedAt = Start,
        UpdatedAt = Start,
    };

    private static void AssertSame(Dictionary<uint, Lease> model, SqliteLeaseCache cache)
    {
        for (var addr = Base; addr < Base + 8; addr++)
        {
            Assert.Equal(model.GetValueOrDefault(addr), cache.Get(addr));
        }
        foreach (var token in Tokens)
        {
            var expected = model.Values.Where(l => l.Token == token)
                .OrderByDescending(l => l.State is LeaseState.Offered or LeaseState.Bound)
                .ThenByDescending(l => l.UpdatedAt).ThenByDescending(l => l.Revision)
                .FirstOrDefault();
            Assert.Equal(expected, cache.FindByToken(token));
        }
        foreach (var subnet in Subnets.Append("none"))
        {
            var expected = Enumerable.Range(0, 8).Select(i => Base + (uint)i)
                .Where(a => !model.TryGetValue(a, out var l) || l.Subnet != subnet).Take(3);
            Assert.Equal(expected, cache.FindUnused(subnet, Base, Base + 7, 3));
        }
    }
}
