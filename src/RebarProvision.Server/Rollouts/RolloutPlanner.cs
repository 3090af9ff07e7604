using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using RebarProvision.Model;
using RebarProvision.Server.Api;
using RebarProvision.Server.Configuration;
using RebarProvision.Server.Objects;
using RebarProvision.Store;

namespace RebarProvision.Server.Rollouts;

/// <summary>
/// Turns a <see cref="RolloutRequest"/> into a rollout to store, or refuses it naming every bad field. A selector
/// that is empty or matches no machine is refused (400, field <c>selector</c>): a rollout of nothing is almost
/// always a typo, and an empty selector must not mean the whole fleet. A machine already in an active rollout is a
/// conflict (409).
/// </summary>
public sealed class RolloutPlanner(Inventory inventory, ServerOptions options, TimeProvider time)
{
    private static readonly string[] SelectorFields = ["profile", "bootEnv", "names"];

    public async Task<Rollout> PlanAsync(RolloutRequest request, string actor, CancellationToken cancellationToken)
    {
        var errors = new List<FieldError>();
        var selector = ReadSelector(request.Selector, errors);
        if (string.IsNullOrWhiteSpace(request.BootEnv))
        {
            errors.Add(new FieldError("bootEnv", "is required"));
        }
        else if (inventory.Cache.Get<BootEnv>(request.BootEnv) is null)
        {
            errors.Add(new FieldError("bootEnv", $"bootenv '{request.BootEnv}' does not exist"));
        }
        for (var i = 0; i < (request.Profiles?.Count ?? 0); i++)
        {
            if (inventory.Cache.Get<Profile>(request.Profiles![i]) is null)
            {
                errors.Add(new FieldError($"profiles[{i}]", $"profile '{request.Profiles[i]}' does not exist"));
            }
        }
        if (request.MaxUnavailable is < 1)
        {
            errors.Add(new FieldError("maxUnavailable", "must be at least 1"));
        }
        var onFailure = request.OnFailure?.ToLowerInvariant() switch
        {
            null or "stop" => RolloutFailurePolicy.Stop,
            "continue" => RolloutFailurePolicy.Continue,
            _ => (RolloutFailurePolicy?)null,
        };
        if (onFailure is null)
        {
            errors.Add(new FieldError("onFailure", "must be stop or continue"));
        }
        if (request.MachineTimeoutSeconds is < 1)
        {
            errors.Add(new FieldError("machineTimeoutSeconds", "must be at least 1"));
        }
        var machines = selector is null ? [] : await SelectAsync(selector, errors, cancellationToken);
        if (selector is not null && machines.Count == 0 && !errors.Any(e => e.Field.StartsWith("selector", StringComparison.Ordinal)))
        {
            errors.Add(new FieldError("selector", "matches no machine"));
        }
        if (request.Power == true)
        {
            errors.AddRange(machines.Where(m => m.Power is null).Select(m =>
                new FieldError("power", $"machine {m.Name} has no power endpoint; set power.kind and power.address or reimage without power")));
        }
        if (errors.Count > 0)
        {
            throw new ValidationFailedException(errors);
        }
        RefuseMachinesInActiveRollouts(machines);
        var now = time.GetUtcNow();
        return new Rollout
        {
            Id = string.Create(CultureInfo.InvariantCulture, $"{now:yyyyMMdd-HHmmss}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}"),
            Selector = selector!,
            BootEnv = request.BootEnv!,
            Profiles = request.Profiles,
            Power = request.Power == true,
            MaxUnavailable = request.MaxUnavailable ?? 1,
            OnFailure = onFailure!.Value,
            MachineTimeoutSeconds = request.MachineTimeoutSeconds ?? (int)Math.Ceiling(options.ProvisionTimeout.TotalSeconds),
            StartedBy = actor,
            Machines = [.. machines.OrderBy(m => m.Name, StringComparer.Ordinal).Select(m => new RolloutMachine { Uuid = m.Uuid, Name = m.Name })],
        };
    }

    private static RolloutSelector? ReadSelector(JsonObject? node, List<FieldError> errors)
    {
        if (node is null || node.Count == 0)
        {
            errors.Add(new FieldError("selector", $"is required: give {string.Join(", ", SelectorFields)} (an empty selector never means every machine)"));
            return null;
        }
        var unknown = node.Select(p => p.Key).Where(k => !SelectorFields.Contains(k, StringComparer.OrdinalIgnoreCase)).ToList();
        foreach (var key in unknown)
        {
            errors.Add(new FieldError($"selector.{key}", $"is not a selector field; use {string.Join(", ", SelectorFields)}"));
        }
        try
        {
            var selector = node.Deserialize<RolloutSelector>(ModelJson.Options)!;
            if (selector.Profile is null && selector.BootEnv is null && selector.Names is not { Count: > 0 } && unknown.Count == 0)
            {
                errors.Add(new FieldError("selector", $"is required: give {string.Join(", ", SelectorFields)}"));
            }
            return unknown.Count == 0 ? selector : null;
        }
        catch (JsonException e)
        {
            errors.Add(new FieldError($"selector.{ProblemFilter.FieldOf(e.Path)}", e.Message.Split(" Path:", 2)[0]));
            return null;
        }
    }

    /// <summary>Profile and bootEnv match as the machine list's filters do (<see cref="ListQuery"/>); names are names or uuids.</summary>
    private async Task<List<Machine>> SelectAsync(RolloutSelector selector, List<FieldError> errors, CancellationToken cancellationToken)
    {
        var filters = new List<(string, string)>();
        if (selector.Profile is not null)
        {
            filters.Add(("profiles", selector.Profile));
        }
        if (selector.BootEnv is not null)
        {
            filters.Add(("bootEnv", selector.BootEnv));
        }
        var candidates = inventory.Cache.InKeyOrder(ObjectKind.Machines).Cast<Machine>();
        if (selector.Names is { Count: > 0 } names)
        {
            var named = new List<Machine>();
            for (var i = 0; i < names.Count; i++)
            {
                if (await inventory.Objects.FindMachineAsync(names[i], cancellationToken) is { } machine)
                {
                    named.Add(machine);
                }
                else
                {
                    errors.Add(new FieldError($"selector.names[{i}]", $"machine '{names[i]}' does not exist"));
                }
            }
            candidates = named.DistinctBy(m => m.Uuid);
        }
        var query = new ListQuery(int.MaxValue, 0, null, false, filters);
        return query.Apply(candidates).ToList();
    }

    private void RefuseMachinesInActiveRollouts(List<Machine> machines)
    {
        var wanted = machines.Select(m => m.Uuid).ToHashSet(StringComparer.Ordinal);
        foreach (var rollout in inventory.Cache.All<Rollout>().Where(RolloutProgress.IsActive))
        {
            var busy = rollout.Machines.FirstOrDefault(e => e.State is RolloutMachineState.Pending or RolloutMachineState.Reimaging && wanted.Contains(e.Uuid));
            if (busy is not null)
            {
                throw new StoreConflictException($"machine {busy.Name} is already in rollout {rollout.Id} ({busy.State.ToString().ToLowerInvariant()}); stop that rollout or leave the machine out");
            }
        }
    }
}
