using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using RebarProvision.Storm.Perf;

// Boot-storm client (run inside the client namespace by tests/perf/storm/run.sh):
//   storm macs N                          the N MACs the simulated machines use, one a line (for creating them)
//   storm run --interface vc --machines N --label ours --json out.json [--server-pid P]... [--arch 0|7]
//             [--blksize 1432] [--window 4] [--ramp 0] [--deadline 300] [--record DIR]
//   storm compare a.json b.json ...       the markdown table of medians per label, with ours/theirs
var json = new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
switch (args)
{
    case ["macs", var count]:
        foreach (var mac in Macs(int.Parse(count, CultureInfo.InvariantCulture)))
        {
            Console.WriteLine(string.Join(':', mac.Select(b => b.ToString("x2"))));
        }
        return 0;
    case ["compare", .. var files]:
        Console.Write(Comparison.Table(files.Select(f => JsonSerializer.Deserialize<StormSummary>(File.ReadAllText(f), json)!).ToList()));
        return 0;
    case ["run", .. var rest]:
        return await RunAsync(rest);
    default:
        Console.Error.WriteLine("usage: storm macs N | storm run --interface IF --machines N --label L --json FILE [...] | storm compare FILE...");
        return 2;
}

async Task<int> RunAsync(string[] rest)
{
    var flags = new Dictionary<string, List<string>>();
    for (var i = 0; i + 1 < rest.Length; i += 2)
    {
        (flags.TryGetValue(rest[i], out var list) ? list : flags[rest[i]] = []).Add(rest[i + 1]);
    }
    string Flag(string name, string fallback) => flags.TryGetValue(name, out var v) ? v[^1] : fallback;
    var count = int.Parse(Flag("--machines", "1000"), CultureInfo.InvariantCulture);
    var options = new StormOptions
    {
        Interface = Flag("--interface", "vc"),
        Arch = ushort.Parse(Flag("--arch", "0"), CultureInfo.InvariantCulture),
        BlockSize = int.Parse(Flag("--blksize", "1432"), CultureInfo.InvariantCulture),
        WindowSize = int.Parse(Flag("--window", "4"), CultureInfo.InvariantCulture),
        RecordDirectory = flags.ContainsKey("--record") ? Flag("--record", "") : null,
    };
    var label = Flag("--label", "server");
    var pids = flags.GetValueOrDefault("--server-pid", []).Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
    // Bounded: every machine gives up at the deadline, and the run ends with it.
    using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(double.Parse(Flag("--deadline", "300"), CultureInfo.InvariantCulture)));
    ThreadPool.SetMinThreads(64, 64);

    using var dhcp = new DhcpPort(options.Interface);
    using var usage = pids.Length > 0 ? new ServerUsage(pids) : null;
    var clock = Stopwatch.StartNew();
    // Power-on times spread uniformly over the ramp: a rack's machines come out of POST over some seconds.
    var ramp = TimeSpan.FromSeconds(double.Parse(Flag("--ramp", "0"), CultureInfo.InvariantCulture));
    var results = await Task.WhenAll(Macs(count).Select((mac, i) => Task.Run(async () =>
    {
        await Task.Delay(ramp * Random.Shared.NextDouble(), deadline.Token);
        return await new SimulatedMachine(i, mac, dhcp, options).BootAsync(deadline.Token);
    })));
    var allDone = clock.Elapsed.TotalSeconds;
    var summary = StormSummary.Of(label, results, allDone, usage);
    Console.Write(summary.Describe());
    Console.WriteLine($"  unmatched DHCP replies: {dhcp.Unmatched}");
    await File.WriteAllTextAsync(Flag("--json", $"storm-{label}.json"), JsonSerializer.Serialize(summary, json));
    return summary.Errors == 0 ? 0 : 1;
}

// Locally administered unicast MACs (02:...), numbered from 1, so every run and both servers see the same machines.
static IEnumerable<byte[]> Macs(int count) =>
    Enumerable.Range(1, count).Select(i => new byte[] { 0x02, 0x5e, 0x00, (byte)(i >> 16), (byte)(i >> 8), (byte)i });
