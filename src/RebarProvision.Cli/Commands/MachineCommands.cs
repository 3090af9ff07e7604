using System.CommandLine;
using System.Text.Json.Nodes;
using RebarProvision.Cli.Http;
using RebarProvision.Cli.Machines;
using RebarProvision.Cli.Output;

namespace RebarProvision.Cli.Commands;

/// <summary>The machine actions: <c>reimage</c> (one machine, or a rolling reimage of a selection; optionally waiting for the install), <c>wait</c> and <c>render</c>.</summary>
public static class MachineCommands
{
    private static readonly TimeSpan DefaultWait = TimeSpan.FromMinutes(30);

    private static readonly string[] States = ["discovered", "provisioning", "installed", "failed", "maintenance"];

    public static void AddTo(Command machines, CommandAction action)
    {
        machines.Add(Reimage(action));
        machines.Add(Wait(action));
        machines.Add(Render(action));
    }

    private static Argument<string> Machine() => new("machine") { Description = "the machine's uuid or name" };

    private static Command Reimage(CommandAction action)
    {
        var machine = Machine();
        machine.Description = "the machine's uuid or name (or give --selector to roll through several)";
        machine.Arity = ArgumentArity.ZeroOrOne;
        var bootEnv = new Option<string>("--bootenv") { Description = "the bootenv to install", Required = true };
        var profiles = new Option<string[]>("--profile") { Description = "set the machine's profiles to these (repeatable)" };
        var wait = new Option<bool>("--wait") { Description = "wait until the machine is installed (exit 0), failed (exit 3) or the timeout passes (exit 4); with --selector, until the rollout ends" };
        var timeout = Input.Options.Timeout(DefaultWait);
        var rollout = new RolloutOptions();
        var command = new Command("reimage", "Point a machine (or, with --selector, a rolling set of machines) at a bootenv and mark it provisioning; its next boot installs")
        {
            machine, bootEnv, profiles, wait, timeout, rollout.Selector, rollout.MaxUnavailable, rollout.OnFailure, rollout.MachineTimeout,
        };
        action.Bind(command, async (context, ct) =>
        {
            var body = new JsonObject { ["bootEnv"] = context.Value(bootEnv) };
            if (context.Value(profiles) is { Length: > 0 } list)
            {
                body["profiles"] = new JsonArray([.. list.Select(p => JsonValue.Create(p))]);
            }
            var named = context.Parse.GetValue(machine);
            if (rollout.Given(context))
            {
                if (named is not null)
                {
                    throw CommandFailedException.Usage("give a machine or --selector, not both");
                }
                return await RolloutAsync(context, rollout.Body(context, body), context.Value(wait), context.Value(timeout) ?? DefaultWait, ct);
            }
            if (named is null)
            {
                throw CommandFailedException.Usage("give the machine to reimage, or --selector to reimage several in a rolling way");
            }
            var path = $"{ApiPath.Object("machines", named)}/reimage";
            var response = await context.Client.SendAsync(HttpMethod.Post, path, body.ToJsonString(), "application/json", ct);
            var reimaged = response.Json();
            await context.Error.WriteLineAsync($"machine {reimaged["name"]} will install {reimaged["bootEnv"]} on its next boot");
            return await WaitAndShowAsync(context, reimaged, context.Value(wait) ? "installed" : null, context.Value(timeout) ?? DefaultWait, ct);
        });
        return command;
    }

    /// <summary>Starts a rollout; with --wait follows it to its end, saying how each machine fares.</summary>
    private static async Task<int> RolloutAsync(CliContext context, JsonObject body, bool wait, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var response = await context.Client.SendAsync(HttpMethod.Post, "machines/reimage", body.ToJsonString(), "application/json", cancellationToken);
        JsonNode rollout = response.Json();
        var id = rollout["id"]!.ToString();
        var names = rollout["machines"]?.AsArray().Select(m => m?["name"]?.ToString()).ToList() ?? [];
        await context.Error.WriteLineAsync(
            $"rollout {id}: reimaging {names.Count} machines to {rollout["bootEnv"]}, at most {rollout["maxUnavailable"]} at a time: {string.Join(", ", names)}");
        if (wait)
        {
            rollout = await new RolloutWaiter(context.Client, context.Error).WaitAsync(id, timeout, cancellationToken);
        }
        else
        {
            await context.Error.WriteLineAsync($"follow it with 'rebarctl rollouts show {id}'; stop it with 'rebarctl rollouts stop {id}'");
        }
        if (context.FormatGiven)
        {
            context.Output(OutputFormat.Yaml).WriteObject(rollout, ApiKind.Rollouts.Columns);
        }
        return ExitCodes.Ok;
    }

    private static Command Wait(CommandAction action)
    {
        var machine = Machine();
        var state = new Option<string>("--state") { Description = "the state to wait for", DefaultValueFactory = _ => "installed" };
        state.AcceptOnlyFromAmong(States);
        var timeout = Input.Options.Timeout(DefaultWait);
        var command = new Command("wait", "Wait until a machine is in a state (exit 0), failed (exit 3) or the timeout passes (exit 4)") { machine, state, timeout };
        action.Bind(command, async (context, ct) =>
        {
            // Events are keyed by uuid; the operator may have given a name.
            var found = (await context.Client.GetAsync(ApiPath.Object("machines", context.Value(machine)), ct)).Json();
            return await WaitAndShowAsync(context, found, context.Value(state), context.Value(timeout) ?? DefaultWait, ct);
        });
        return command;
    }

    /// <summary>Waits for the state (unless null), then prints the machine when -o asked for it.</summary>
    private static async Task<int> WaitAndShowAsync(CliContext context, JsonNode machine, string? state, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (state is not null)
        {
            machine = await new MachineWaiter(context.Client, context.Error).WaitAsync(ApiKind.Machines.KeyOf(machine), state, timeout, cancellationToken);
        }
        if (context.FormatGiven)
        {
            context.Output(OutputFormat.Yaml).WriteObject(machine, ApiKind.Machines.Columns);
        }
        return ExitCodes.Ok;
    }

    private static Command Render(CommandAction action)
    {
        var machine = Machine();
        var path = new Argument<string>("path") { Description = "ipxe, pxelinux, grub, or one of its bootenv's templates (e.g. user-data)" };
        var command = new Command("render", "Print a file exactly as the machine would receive it") { machine, path };
        action.Bind(command, async (context, ct) =>
        {
            var file = string.Join('/', context.Value(path).Split('/').Select(Uri.EscapeDataString));
            var response = await context.Client.GetAsync($"{ApiPath.Object("machines", context.Value(machine))}/render/{file}", ct, "*/*");
            await context.Out.WriteAsync(response.Body);
            return ExitCodes.Ok;
        });
        return command;
    }
}
