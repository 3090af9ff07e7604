using System.CommandLine;
using RebarProvision.Cli.Input;
using RebarProvision.Cli.Output;

namespace RebarProvision.Cli.Commands;

/// <summary><c>rebarctl import</c> and <c>export</c>: content bundles (bootenvs, templates, profiles, ...) as operators keep them in git.</summary>
public static class ContentCommands
{
    public static Command Import(CommandAction action)
    {
        var file = Input.Options.File("the content bundle to import");
        var command = new Command("import", "Import a content bundle; existing objects with the same key are replaced") { file };
        action.Bind(command, async (context, ct) =>
        {
            var bundle = InputDocument.Read(context.Value(file)!, context.Environment.Stdin);
            var response = await context.Client.SendAsync(HttpMethod.Post, "content", bundle.Text, bundle.IsJson ? "application/json" : "application/yaml", ct);
            if (context.FormatGiven)
            {
                context.Output(OutputFormat.Json).WriteDocument(response.Json());
            }
            else
            {
                await context.Out.WriteLineAsync($"imported {response.Json()["imported"]} objects from {bundle.Source}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Export(CommandAction action)
    {
        var command = new Command("export", "Export all content as one bundle (YAML unless -o json)");
        action.Bind(command, async (context, ct) =>
        {
            var json = context.Output(OutputFormat.Yaml).Format == OutputFormat.Json;
            var response = await context.Client.GetAsync("content", ct, json ? "application/json" : "application/yaml");
            if (json)
            {
                context.Output(OutputFormat.Json).WriteDocument(response.Json());
            }
            else
            {
                await context.Out.WriteAsync(response.Body);
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
