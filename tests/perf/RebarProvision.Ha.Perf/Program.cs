using System.Globalization;
using Npgsql;
using RebarProvision.Dhcp;
using RebarProvision.Ha.Perf;
using RebarProvision.Testing.Ha;

// tests/perf/ha/run.sh: the HA kill benchmark. Our two nodes on one PostgreSQL, then Kea's load-balancing HA pair
// on memfile, each behind the same forwarding relay and under the same perfdhcp load (new clients and renewals);
// the first server of each pair is SIGKILLed part way. Prints the per-second completion of new clients side by side,
// the takeover time, duplicates, leases lost and renewals refused, judged from the captured packets.
var seconds = Argument("--seconds", 60);
var killAt = Argument("--kill-at", 10);
var rate = Argument("--rate", 100);
var renewRate = Argument("--renew-rate", 20);

var ours = await RunAsync("rebar (2 nodes, postgres)", () => HaRig.StartAsync("node-a", "node-b"), OursLostAsync);
var kea = await RunAsync("kea 2 HA load-balancing (memfile)", () => HaRig.StartAsync(null, KeaHaServer.StartPairAsync), KeaLost);

Console.WriteLine();
Console.WriteLine($"perfdhcp -r {rate} -f {renewRate} for {seconds} s through a relay forwarding to both servers; the first server SIGKILLed at +{killAt} s");
Console.WriteLine($"{"second",6}  {ours.Label,28}  {kea.Label,36}");
var oursSeries = ours.Load.PerSecond(seconds);
var keaSeries = kea.Load.PerSecond(seconds);
for (var s = 0; s < seconds; s++)
{
    Console.WriteLine($"{s,6}  {Cell(oursSeries[s]),28}  {Cell(keaSeries[s]),36}");
}
Console.WriteLine();
Console.WriteLine($"{"",34}  {"ours",10}  {"kea",10}");
Row("killed at (s)", ours.KilledAt.ToString("F1", CultureInfo.InvariantCulture), kea.KilledAt.ToString("F1", CultureInfo.InvariantCulture));
Row("back above 90% after (s)", Takeover(ours), Takeover(kea));
Row("new clients completed", Completed(oursSeries), Completed(keaSeries));
Row("addresses ACKed to two clients", ours.Load.Duplicates().Count.ToString(), kea.Load.Duplicates().Count.ToString());
Row("clients moved to another address", ours.Load.Moved().Count.ToString(), kea.Load.Moved().Count.ToString());
Row("renewals NAKed", ours.Load.RenewalsRefused().Count.ToString(), kea.Load.RenewalsRefused().Count.ToString());
Row("dead server's leases lost", ours.Lost, kea.Lost);
return 0;

int Argument(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
}

async Task<Run> RunAsync(string label, Func<Task<HaRig>> start, Func<HaRig, HaLoad, Task<string>> lost)
{
    Console.Error.WriteLine($"ha bench: {label}: starting");
    await using var rig = await start();
    double killedAt = 0;
    var load = await rig.RunLoadAsync(seconds, rate, renewRate, async begin =>
    {
        await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, begin + killAt - Now())));
        rig.Servers[0].Kill();
        killedAt = Now() - begin;
    });
    Console.Error.WriteLine($"ha bench: {label}: done");
    return new Run(label, load, killedAt, await lost(rig, load));
}

static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

// The dead server's ACKed leases that the survivors' store no longer gives to their client.
static async Task<string> OursLostAsync(HaRig rig, HaLoad load)
{
    var rows = new Dictionary<string, (string Token, string State)>();
    await using (var connection = rig.OpenDatabase())
    await using (var command = new NpgsqlCommand("SELECT addr, token, state FROM leases", connection))
    await using (var reader = await command.ExecuteReaderAsync())
    {
        while (await reader.ReadAsync())
        {
            rows[reader.GetString(0)] = (reader.GetString(1), reader.GetString(2));
        }
    }
    return Lost(rig, load, address => rows.TryGetValue(address, out var row) && row.State == "bound" ? row.Token : null);
}

// Kea's survivor keeps its partner's leases from the lease updates, in its memfile (last line per address wins).
static Task<string> KeaLost(HaRig rig, HaLoad load)
{
    var owners = new Dictionary<string, string>();
    foreach (var line in File.ReadLines(((KeaHaServer)rig.Servers[1]).LeaseFile).Skip(1))
    {
        var fields = line.Split(',');
        if (fields.Length > 9)
        {
            owners[fields[0]] = fields[9] == "0" ? fields[1] : "";
        }
    }
    return Task.FromResult(Lost(rig, load, address => owners.GetValueOrDefault(address)));
}

static string Lost(HaRig rig, HaLoad load, Func<string, string?> ownerOf)
{
    var dead = DhcpOptionDefinition.TryParseAddress(rig.Servers[0].Address, out var address) ? address : 0;
    var acked = load.Of(DhcpMessageType.Ack).Where(p => p.ServerId == dead).GroupBy(p => p.Message.YourAddress).Select(g => g.Last()).ToList();
    var lost = acked.Count(p => ownerOf(DhcpOptionDefinition.FormatAddress(p.Message.YourAddress)) != p.Message.ClientMac);
    return $"{lost} of {acked.Count}";
}

string Takeover(Run run)
{
    var series = run.Load.PerSecond(seconds);
    for (var s = (int)Math.Ceiling(run.KilledAt); s < seconds - 2; s++)
    {
        if (series.Skip(s).Take(seconds - 2 - s).All(x => x.Completed >= 0.9 * x.Sent))
        {
            return (s - run.KilledAt).ToString("F1", CultureInfo.InvariantCulture);
        }
    }
    return $"> {seconds - run.KilledAt:F0}";
}

static string Completed(IReadOnlyList<(int Second, int Sent, int Completed)> series) =>
    $"{series.Sum(s => s.Completed)} of {series.Sum(s => s.Sent)}";

static string Cell((int Second, int Sent, int Completed) s) =>
    $"{s.Completed,4}/{s.Sent,-4} {(s.Sent == 0 ? 0 : 100.0 * s.Completed / s.Sent),5:F1}%";

static void Row(string name, string ours, string kea) => Console.WriteLine($"{name,34}  {ours,10}  {kea,10}");

internal sealed record Run(string Label, HaLoad Load, double KilledAt, string Lost);
