using System.Diagnostics.Metrics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RebarProvision.Dhcp.Server;
using RebarProvision.Model;
using RebarProvision.Store;

// Environment (set by /work/shared/rig/perf/dhcp-rate.sh): RIG_IFACE, RIG_SUBNET, RIG_POOL_START, RIG_POOL_END.
// Optional: DHCP_PERF_STORE=sqlite|postgres, DHCP_PERF_POSTGRES (connection string), DHCP_PERF_WORKERS (concurrent exchanges of --in-process), DHCP_PERF_RECEIVE_THREADS, DHCP_PERF_MAX_PENDING, DHCP_PERF_GC_LOG=1 (each collection while serving) and
// DHCP_PERF_ALLOC_LOG=1 (allocation samples by type), both printed to stderr at the end, and
// DHCP_PERF_FRESH=1 to empty a PostgreSQL lease table first (each rate of the rig restarts us; SQLite starts empty).
var iface = Environment.GetEnvironmentVariable("RIG_IFACE") ?? "vs";
var cidr = Environment.GetEnvironmentVariable("RIG_SUBNET") ?? "10.97.0.0/16";
var start = Environment.GetEnvironmentVariable("RIG_POOL_START") ?? "10.97.1.0";
var end = Environment.GetEnvironmentVariable("RIG_POOL_END") ?? "10.97.250.255";
var workers = int.TryParse(Environment.GetEnvironmentVariable("DHCP_PERF_WORKERS"), out var w) ? w : 32;

var dataDirectory = Directory.CreateTempSubdirectory("rebar-dhcp-perf-").FullName;
await using IStore store = Environment.GetEnvironmentVariable("DHCP_PERF_STORE") == "postgres"
    ? new PostgresStore(Environment.GetEnvironmentVariable("DHCP_PERF_POSTGRES") ?? throw new InvalidOperationException("set DHCP_PERF_POSTGRES"))
    : new SqliteStore(dataDirectory);
await store.MigrateAsync();
if (store.Kind == StoreKind.Postgres && Environment.GetEnvironmentVariable("DHCP_PERF_FRESH") == "1")
{
    await using var connection = new Npgsql.NpgsqlConnection(Environment.GetEnvironmentVariable("DHCP_PERF_POSTGRES"));
    await connection.OpenAsync();
    await using var truncate = new Npgsql.NpgsqlCommand("TRUNCATE leases", connection);
    await truncate.ExecuteNonQueryAsync();
}
// Open the connection pool before the load, as Kea opens its database connections at start: the first seconds of
// a rate would otherwise pay for connection set-up (SCRAM authentication) instead of leases.
await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => store.PingAsync()));
if (await store.Objects.GetAsync<Subnet>("perf") is null)
{
    await store.Objects.CreateAsync(new Subnet { Name = "perf", Cidr = cidr, ActiveStart = start, ActiveEnd = end, LeaseTime = 3600 });
}

// The meter factory a host has (AddMetrics), so the served meter is this process's own instance.
await using var meterServices = new ServiceCollection().AddMetrics().BuildServiceProvider();
var meters = meterServices.GetRequiredService<IMeterFactory>();

if (args is ["--in-process", var countText, ..])
{
    // The responder alone (no sockets): how many DISCOVER+REQUEST exchanges per second the store path sustains.
    var metrics = new DhcpMetrics(meters);
    using var listened = Environment.GetEnvironmentVariable("DHCP_PERF_LISTEN") == "1" ? new PacketTotals(metrics) : null;
    var responder = new DhcpResponder(store, new BootNothing(), new LoneNode(), new DhcpServiceOptions { Node = "perf" }, metrics, TimeProvider.System, NullLogger<DhcpResponder>.Instance);
    var inProcessGcLog = Environment.GetEnvironmentVariable("DHCP_PERF_GC_LOG") == "1" ? GcLog.Start() : null;
    using var inProcessAllocationLog = Environment.GetEnvironmentVariable("DHCP_PERF_ALLOC_LOG") == "1" ? new AllocationLog() : null;
    await InProcessExchanges.RunAsync(responder, int.Parse(countText, System.Globalization.CultureInfo.InvariantCulture), workers, store.Kind.ToString());
    inProcessGcLog?.Print();
    inProcessAllocationLog?.Print();
    Directory.Delete(dataDirectory, recursive: true);
    return;
}

using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
var options = new DhcpServiceOptions { Interfaces = [iface], Node = "perf", ProxyPort = 0 };
if (int.TryParse(Environment.GetEnvironmentVariable("DHCP_PERF_RECEIVE_THREADS"), out var receiveThreads))
{
    options.ReceiveThreads = receiveThreads;
}
if (int.TryParse(Environment.GetEnvironmentVariable("DHCP_PERF_MAX_PENDING"), out var maxPending))
{
    options.MaxPending = maxPending;
}
var served = new DhcpMetrics(meters);
using var packets = new PacketTotals(served);
var dhcpResponder = new DhcpResponder(store, new BootNothing(), new LoneNode(), options, served, TimeProvider.System, loggerFactory.CreateLogger<DhcpResponder>());
using var service = new DhcpService(store, dhcpResponder, served, options, loggerFactory.CreateLogger<DhcpService>(), TimeProvider.System);
using var stop = new CancellationTokenSource();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
var starting = System.Diagnostics.Stopwatch.StartNew();
await service.StartAsync(CancellationToken.None);
var startedIn = starting.Elapsed;
var jitAtStart = (System.Runtime.JitInfo.GetCompiledMethodCount(), System.Runtime.JitInfo.GetCompilationTime());
// What serving costs, apart from start-up and the warm-up: allocation, collections and their pause from here on.
var servingFrom = (Allocated: GC.GetTotalAllocatedBytes(precise: true), Gen0: GC.CollectionCount(0), Gen1: GC.CollectionCount(1), Gen2: GC.CollectionCount(2), Pause: GC.GetTotalPauseDuration());
var gcLog = Environment.GetEnvironmentVariable("DHCP_PERF_GC_LOG") == "1" ? GcLog.Start() : null;
using var allocationLog = Environment.GetEnvironmentVariable("DHCP_PERF_ALLOC_LOG") == "1" ? new AllocationLog() : null;
Console.WriteLine($"dhcp-perf: serving {cidr} ({start} - {end}) on {iface} with {store.Kind}, {options.ReceiveThreads} receive threads, started (with the warm-up) in {startedIn.TotalMilliseconds:F0} ms");
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
}
await service.StopAsync(CancellationToken.None);
gcLog?.Print();
allocationLog?.Print();
var leases = await store.Leases.ListAsync("perf");
Console.WriteLine($"dhcp-perf: received={packets.Received} answered={packets.Answered} dropped={packets.Dropped} leases={leases.Count} bound={leases.Count(l => l.State == LeaseState.Bound)} " +
    $"allocated={(GC.GetTotalAllocatedBytes(precise: true) - servingFrom.Allocated) / Math.Max(1, packets.Received)} bytes/datagram while serving, " +
    $"gc={GC.CollectionCount(0) - servingFrom.Gen0}/{GC.CollectionCount(1) - servingFrom.Gen1}/{GC.CollectionCount(2) - servingFrom.Gen2} gc-pause={(GC.GetTotalPauseDuration() - servingFrom.Pause).TotalMilliseconds:F0} ms while serving " +
    $"jit-while-serving={System.Runtime.JitInfo.GetCompiledMethodCount() - jitAtStart.Item1} methods in {(System.Runtime.JitInfo.GetCompilationTime() - jitAtStart.Item2).TotalMilliseconds:F0} ms");
Directory.Delete(dataDirectory, recursive: true);


/// <summary>perfdhcp's clients are not PXE clients: the unknown-machine policy is never asked.</summary>
internal sealed class BootNothing : IUnknownMachines
{
    public ValueTask<bool> ShouldBootAsync(string mac, RebarProvision.Dhcp.PxeClient client, CancellationToken cancellationToken) => ValueTask.FromResult(false);
}

/// <summary>Totals of rebar_dhcp_packets from the served meter: every datagram counted once, answers, drops.</summary>
internal sealed class PacketTotals : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _received;
    private long _answered;
    private long _dropped;

    public PacketTotals(DhcpMetrics metrics)
    {
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == metrics.Meter && instrument.Name == "rebar_dhcp_packets")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            Interlocked.Add(ref _received, value);
            foreach (var tag in tags)
            {
                if (tag is { Key: "type", Value: "invalid" })
                {
                    Interlocked.Add(ref _dropped, value);
                }
                else if (tag is { Key: "outcome", Value: "offer" or "ack" or "nak" })
                {
                    Interlocked.Add(ref _answered, value);
                }
            }
        });
        _listener.Start();
    }

    public long Received => Interlocked.Read(ref _received);

    public long Answered => Interlocked.Read(ref _answered);

    public long Dropped => Interlocked.Read(ref _dropped);

    public void Dispose() => _listener.Dispose();
}

/// <summary>Every garbage collection while serving (polled every 2 ms): when, which generation, pause, bytes promoted.</summary>
internal sealed class GcLog
{
    private readonly List<string> _lines = [];
    private volatile bool _stop;
    private Thread? _thread;

    public static GcLog Start()
    {
        var log = new GcLog();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        log._thread = new Thread(() =>
        {
            long seen = GC.GetGCMemoryInfo(GCKind.Any).Index;
            while (!log._stop)
            {
                Thread.Sleep(2);
                var info = GC.GetGCMemoryInfo(GCKind.Any);
                if (info.Index != seen)
                {
                    seen = info.Index;
                    var pause = info.PauseDurations.ToArray().Sum(p => p.TotalMilliseconds);
                    log._lines.Add($"gc #{info.Index} at {clock.Elapsed.TotalSeconds:F2}s gen{info.Generation} {(info.Concurrent ? "bg" : "fg")} pause={pause:F1}ms promoted={info.PromotedBytes / 1024}KiB heap={info.HeapSizeBytes / 1048576}MiB");
                }
            }
        })
        { IsBackground = true };
        log._thread.Start();
        return log;
    }

    public void Print()
    {
        _stop = true;
        _thread!.Join();
        _lines.ForEach(Console.Error.WriteLine);
    }
}

/// <summary>The runtime's allocation samples (one per ~100 KB), summed by type: where the serving path allocates.</summary>
internal sealed class AllocationLog : System.Diagnostics.Tracing.EventListener
{
    private readonly Dictionary<string, long> _bytes = [];

    protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, System.Diagnostics.Tracing.EventLevel.Verbose, (System.Diagnostics.Tracing.EventKeywords)0x1);
        }
    }

    protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs e)
    {
        if (e.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) != true || e.Payload is null)
        {
            return;
        }
        var type = e.Payload[e.PayloadNames!.IndexOf("TypeName")] as string ?? "?";
        var amount = Convert.ToInt64(e.Payload[e.PayloadNames!.IndexOf("AllocationAmount64")], System.Globalization.CultureInfo.InvariantCulture);
        lock (_bytes)
        {
            _bytes[type] = _bytes.GetValueOrDefault(type) + amount;
        }
    }

    public void Print()
    {
        lock (_bytes)
        {
            var total = _bytes.Values.Sum();
            foreach (var (type, bytes) in _bytes.OrderByDescending(p => p.Value).Take(25))
            {
                Console.Error.WriteLine($"alloc {bytes * 100.0 / total,5:F1}% {bytes / 1048576,6} MiB {type}");
            }
        }
    }
}
