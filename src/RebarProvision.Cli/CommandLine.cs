using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using RebarProvision.Cli.Commands;
using RebarProvision.Cli.Output;
using RebarProvision.Cli.Settings;

namespace RebarProvision.Cli;

/// <summary>The whole <c>rebarctl</c> command tree.</summary>
public static class CommandLine
{
    public static RootCommand Build(CliEnvironment environment)
    {
        var globals = new GlobalOptions();
        var action = new CommandAction(globals, environment);
        var root = new RootCommand("rebarctl: manage a RebarProvision server (machines, bootenvs, profiles, subnets, ...)");
        foreach (var option in globals.All)
        {
            root.Add(option);
        }
        foreach (var kind in ApiKind.All)
        {
            var command = ObjectCommands.Create(kind, action);
            if (kind == ApiKind.Machines)
            {
                MachineCommands.AddTo(command, action);
            }
            else if (kind == ApiKind.Rollouts)
            {
                RolloutCommands.AddTo(command, action);
            }
            else if (kind == ApiKind.Images)
            {
                ImageCommands.AddTo(command, action);
            }
            root.Add(command);
        }
        root.Add(ContentCommands.Import(action));
        root.Add(ContentCommands.Export(action));
        root.Add(EventCommands.Create(action));
        root.Add(AnsibleInventoryCommand.Create(action));
        foreach (var help in root.Options.OfType<HelpOption>())
        {
            help.Action = new HelpWithExitCodes((HelpAction)help.Action!);
        }
        return root;
    }

    /// <summary>The standard help, then the exit codes, which scripts need to know.</summary>
    private sealed class HelpWithExitCodes(HelpAction standard) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var result = standard.Invoke(parseResult);
            parseResult.InvocationConfiguration.Output.WriteLine(ExitCodes.Description);
            return result;
        }
    }
}
