using System.Globalization;
using System.Text.Json.Nodes;
using RebarProvision.Model;
using RebarProvision.Server.Cluster;
using RebarProvision.Server.Configuration;
using RebarProvision.Server.Hosting;
using RebarProvision.Server.Objects;
using RebarProvision.Store;

namespace RebarProvision.Server.Machines;

/// <summary>
/// DESIGN §4: a machine that stays provisioning longer than its timeout (the <c>provision/timeout</c> param in
/// seconds, else <see cref="ServerOptions.ProvisionTimeout"/>) never called back, so it is marked failed and the
/// reimage waiting on it ends with a reason instead of hanging.
/// </summary>
public sealed class StuckMachines : PeriodicJob
{
    /// <summary>Seconds a machine may stay provisioning; overrides the server setting for machines (or profiles) that set it.</summary>
    public const string TimeoutParam = "provision/timeout";

    public const string Actor = "provision-timeout";

    private readonly Inventory _inventory;
    private readonly ServerOptions _options;
    private readonly TimeProvider _time;

    public StuckMachines(Inventory inventory, ServerOptions options, TimeProvider time, ILogger<StuckMachines> logger, SingletonWork singleton)
        : base(time, logger, singleton)
    {
        _inventory = inventory;
        _options = options;
        _time = time;
    }

    /// <summary>Often enough that a machine fails within a tenth of the timeout past it (30 s at most).</summary>
    public override TimeSpan Interval => TimeSpan.FromTicks(Math.Clamp(_options.ProvisionTimeout.Ticks / 10, TimeSpan.TicksPerSecond, 30 * TimeSpan.TicksPerSecond));

    public override async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var failed = 0;
        foreach (var machine in _inventory.Cache.All<Machine>().Where(m => m.State == MachineState.Provisioning).ToList())
        {
            // Rows written before ProvisioningSince existed count from their last change.
            var since = machine.ProvisioningSince ?? machine.UpdatedAt;
            var timeout = TimeoutOf(machine);
            if (now - since < timeout)
            {
                continue;
            }
            var copy = machine.CloneAs<Machine>();
            copy.State = MachineState.Failed;
            copy.StateMessage = $"provisioning timed out: no installed or failed callback within {Describe(timeout)} (provisioning since {since:O})";
            try
            {
                await _inventory.UpdateAsync(copy, copy.Revision, Actor, cancellationToken);
                failed++;
            }
            catch (StorePreconditionFailedException)
            {
                // The machine changed meanwhile (its callback may just have arrived); the next pass looks again.
            }
            catch (StoreNotFoundException)
            {
            }
        }
        return failed;
    }

    private TimeSpan TimeoutOf(Machine machine)
    {
        var resolved = ParamResolver.Resolve(machine, _inventory.Cache.Get<Profile>, _inventory.Cache.All<Param>());
        return resolved.GetValueOrDefault(TimeoutParam) is JsonValue value
               && (value.TryGetValue<double>(out var seconds)
                   || value.TryGetValue<string>(out var text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out seconds))
               && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : _options.ProvisionTimeout;
    }

    /// <summary>"1h", "90s", "1h30m": how an operator writes a duration.</summary>
    public static string Describe(TimeSpan span)
    {
        if (span < TimeSpan.FromMinutes(2))
        {
            return $"{span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)}s";
        }
        var text = (span.Days > 0 ? $"{span.Days}d" : "") + (span.Hours > 0 ? $"{span.Hours}h" : "")
            + (span.Minutes > 0 ? $"{span.Minutes}m" : "") + (span.Seconds > 0 ? $"{span.Seconds}s" : "");
        return text;
    }
}
