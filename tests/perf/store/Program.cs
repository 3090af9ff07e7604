using System.Diagnostics;
using RebarProvision.Model;
using RebarProvision.Store;

// Lease throughput of the stores, as the DHCP service uses them: a claim (OFFER) then an update to bound (ACK).
//   dotnet run -c Release --project tests/perf/store -- sqlite <data-dir> [seconds] [callers...]
//   dotnet run -c Release --project tests/perf/store -- postgres <connection-string> [seconds] [callers...]
//   ... -- migrate <sqlite|postgres> <location>     (one migration, for the two-process migration test)
if (args.Length >= 3 && args[0] == "migrate")
{
    await using var migrating = StoreFactory.Create(StoreFactory.ParseKind(args[1]), args[2]);
    await migrating.MigrateAsync();
    Console.WriteLine("migrated");
    return 0;
}
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: sqlite <data-dir> | postgres <connection-string> [seconds] [callers...]");
    return 2;
}
var seconds = args.Length > 2 ? double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 5;
int[] callers = args.Length > 3 ? args[3..].Select(int.Parse).ToArray() : [1, 8];

await using var store = StoreFactory.Create(StoreFactory.ParseKind(args[0]), args[1]);
await store.MigrateAsync();
const uint Pool = 60_000;
var first = 10u << 24 | 1u << 16; // 10.1.0.0/16
var now = DateTimeOffset.UtcNow;
var round = 0;

foreach (var count in callers)
{
    round++;
    var pairs = 0L;
    var limit = TimeSpan.FromSeconds(seconds);
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var watch = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, count).Select(worker => Task.Run(async () =>
    {
        // Each caller owns the clients i ≡ worker (mod callers): client i always asks for address i, so the first
        // pass inserts rows and later passes renew them, as returning clients do.
        for (var i = (uint)worker; watch.Elapsed < limit; i += (uint)count)
        {
            var slot = i % Pool;
            var token = $"r{round}-{slot:x6}";
            var lease = new Lease
            {
                Addr = Ipv4Network.Format(first + slot),
                Token = token,
                Subnet = "perf",
                State = LeaseState.Offered,
                ExpiresAt = now.AddMinutes(5),
                Node = "perf",
            };
            if (await store.Leases.TryClaimAsync(lease, now) is null)
            {
                continue; // the address still belongs to an earlier round's client
            }
            await store.Leases.TryUpdateAsync(lease with { State = LeaseState.Bound, ExpiresAt = now.AddHours(1) });
            Interlocked.Increment(ref pairs);
        }
    })));
    watch.Stop();
    // CPU time of this process too: on a shared machine wall-clock rates say as much about the neighbours as about us.
    var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
    Console.WriteLine($"{store.Kind}: {count} caller(s): {pairs} claim+update pairs in {watch.Elapsed.TotalSeconds:F1} s = {pairs / watch.Elapsed.TotalSeconds:F0} pairs/s ({2 * pairs / watch.Elapsed.TotalSeconds:F0} lease transactions/s); {1e6 * cpuSeconds / pairs:F0} us CPU per pair in this process");
    // Free the pool for the next round's clients.
    await store.Leases.ExpireAsync(now.AddDays(1));
}

var leases = (await store.Leases.ListAsync("perf")).Count;
var find = Stopwatch.StartNew();
const int Lookups = 200;
IReadOnlyList<uint> free = [];
for (var i = 0; i < Lookups; i++)
{
    free = await store.Leases.FindUnusedAddressesAsync("perf", first, first + 65_533, 32);
}
find.Stop();
Console.WriteLine($"{store.Kind}: FindUnusedAddresses (32) over a /16 holding {leases} leases: {find.Elapsed.TotalMilliseconds / Lookups:F2} ms each (first {(free.Count > 0 ? Ipv4Network.Format(free[0]) : "none")})");
return 0;
