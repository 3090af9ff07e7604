using System.Diagnostics;
using System.Globalization;
using RebarProvision.Model;
using RebarProvision.Server.Objects;
using RebarProvision.Store;

// Inventory scale (driven by tests/perf/scale/run.sh):
//   scale load <sqlite|postgres> <data-dir|connection-string> <machines>
//       N machines (bootEnv alternating local/discovery, one MAC each) and a bound lease for each in subnet "scale"
//       (10.64.0.0/14), through the store API, many writes in flight so the store batches them (SQLite's group
//       commit, PostgreSQL's pool); plus the subnet "perf" (10.97.0.0/16) the DHCP rig offers from.
//   scale lookup <sqlite|postgres> <data-dir|connection-string>
//       loads the server's ObjectCache from the store as the server does at start, then times MachineByMac.
//   scale apply <n>...
//       ObjectCache.Apply of n synthetic machines, no store: the growth of the server's start-up step.
if (args is ["apply", .. var sizes])
{
    // The server's start-up step alone, without a store: how ObjectCache.Apply's cost grows with the machine count.
    foreach (var size in sizes.Select(a => int.Parse(a, CultureInfo.InvariantCulture)))
    {
        var cache = new ObjectCache();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < size; i++)
        {
            cache.Apply(new Machine { Uuid = Guid.NewGuid().ToString(), Name = $"m{i}", HardwareAddrs = [Mac(i)], Revision = i + 1 });
        }
        Console.WriteLine($"ObjectCache.Apply of {size} machines: {watch.Elapsed.TotalSeconds:F2} s ({watch.Elapsed.TotalMicroseconds / size:F1} us per machine)");
    }
    return 0;
}
if (args is not [var verb, var kind, var location, ..] || verb is not ("load" or "lookup"))
{
    Console.Error.WriteLine("usage: scale load <sqlite|postgres> <location> <machines> | scale lookup <sqlite|postgres> <location>");
    return 2;
}
await using var store = StoreFactory.Create(StoreFactory.ParseKind(kind), location);
await store.MigrateAsync();
return verb == "load" ? await LoadAsync(int.Parse(args[3], CultureInfo.InvariantCulture)) : await LookupAsync();

async Task<int> LoadAsync(int count)
{
    const int InFlight = 512;
    var first = 10u << 24 | 64u << 16; // 10.64.0.0/14: room for 262,142 leases
    await store.Objects.CreateAsync(new Subnet { Name = "scale", Cidr = "10.64.0.0/14", ActiveStart = "10.64.0.10", ActiveEnd = "10.67.255.250", LeaseTime = 86400 });
    await store.Objects.CreateAsync(new Subnet { Name = "perf", Cidr = "10.97.0.0/16", ActiveStart = "10.97.1.0", ActiveEnd = "10.97.250.255", LeaseTime = 3600 });
    var now = DateTimeOffset.UtcNow;
    var clock = Stopwatch.StartNew();
    var next = -1;
    await Task.WhenAll(Enumerable.Range(0, InFlight).Select(_ => Task.Run(async () =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < count)
        {
            var mac = Mac(i);
            var address = Ipv4Network.Format(first + 10 + (uint)i);
            await store.Objects.CreateAsync(new Machine
            {
                Uuid = Guid.NewGuid().ToString(),
                Name = $"scale-{i + 1:D6}",
                HardwareAddrs = [mac],
                Address = address,
                BootEnv = i % 2 == 0 ? "local" : "discovery",
                State = i % 2 == 0 ? MachineState.Installed : MachineState.Discovered,
                Meta = new Dictionary<string, string>(StringComparer.Ordinal) { ["rack"] = $"r{i / 40:D4}" },
            });
            var lease = new Lease { Addr = address, Token = mac, Subnet = "scale", State = LeaseState.Bound, ExpiresAt = now.AddDays(1), Node = "scale" };
            if (await store.Leases.TryClaimAsync(lease, now) is null)
            {
                throw new InvalidOperationException($"lease {address} refused");
            }
        }
    })));
    Console.WriteLine($"{store.Kind}: loaded {count} machines and {count} bound leases in {clock.Elapsed.TotalSeconds:F1} s ({count / clock.Elapsed.TotalSeconds:F0} machines+leases/s)");
    return 0;
}

async Task<int> LookupAsync()
{
    var before = Process.GetCurrentProcess().WorkingSet64;
    var cache = new ObjectCache();
    var clock = Stopwatch.StartNew();
    await cache.LoadAsync(store);
    var loadSeconds = clock.Elapsed.TotalSeconds;
    GC.Collect();
    var machines = cache.All<Machine>().Count();
    Console.WriteLine($"{store.Kind}: ObjectCache loaded {machines} machines in {loadSeconds:F1} s; managed heap {GC.GetTotalMemory(false) / 1048576} MiB, working set +{(Process.GetCurrentProcess().WorkingSet64 - before) / 1048576} MiB");
    var macs = cache.All<Machine>().SelectMany(m => m.HardwareAddrs).ToArray();
    // Warm up (JIT, caches), then time each look-up on its own: a p99 needs single calls, not a mean over a loop.
    for (var i = 0; i < 100_000; i++)
    {
        _ = cache.MachineByMac(macs[i % macs.Length]);
    }
    const int Samples = 1_000_000;
    var ticks = new long[Samples];
    var random = new Random(42);
    var missing = 0;
    for (var i = 0; i < Samples; i++)
    {
        var mac = macs[random.Next(macs.Length)];
        var start = Stopwatch.GetTimestamp();
        var found = cache.MachineByMac(mac);
        ticks[i] = Stopwatch.GetTimestamp() - start;
        missing += found is null ? 1 : 0;
    }
    Array.Sort(ticks);
    double Micros(double p) => ticks[(int)(p * (Samples - 1))] * 1e6 / Stopwatch.Frequency;
    Console.WriteLine($"{store.Kind}: MachineByMac over {macs.Length} MACs, {Samples} single calls: p50 {Micros(0.50):F2} us, p99 {Micros(0.99):F2} us, p99.9 {Micros(0.999):F2} us, max {Micros(1):F1} us ({missing} not found)");
    return missing == 0 ? 0 : 1;
}

// Locally administered MACs 02:5c:..., numbered from 0.
static string Mac(int i) => $"02:5c:{(i >> 24) & 0xff:x2}:{(i >> 16) & 0xff:x2}:{(i >> 8) & 0xff:x2}:{i & 0xff:x2}";
