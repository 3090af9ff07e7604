using System.CommandLine;

namespace RebarProvision.Cli.Commands;

/// <summary>
/// <c>rebarctl ansible-inventory --list | --host NAME</c>: the dynamic-inventory script contract, so a two-line
/// shell wrapper (or this command itself through a symlink-free script) serves as <c>ansible-inventory -i</c>.
/// Prints exactly the server's JSON, whatever <c>-o</c> says, because Ansible parses it.
/// </summary>
public static class AnsibleInventoryCommand
{
    public static Command Create(CommandAction action)
    {
        var list = new Option<bool>("--list") { Description = "The whole inventory: groups, hosts and _meta.hostvars" };
        var host = new Option<string?>("--host") { Description = "One host's variables ({} for an unknown host)" };
        var command = new Command("ansible-inventory", "Ansible dynamic inventory: groups from bootenvs, profiles and states; ansible_host from the bound lease or reservation") { list, host };
        command.Validators.Add(result =>
        {
            if (result.GetValue(list) == (result.GetValue(host) is not null))
            {
                result.AddError("give exactly one of --list or --host NAME");
            }
        });
        action.Bind(command, async (context, ct) =>
        {
            var name = context.Value(host);
            var path = name is null ? "inventory/ansible" : $"inventory/ansible?host={Uri.EscapeDataString(name)}";
            var response = await context.Client.GetAsync(path, ct);
            await context.Out.WriteLineAsync(response.Body);
            return ExitCodes.Ok;
        });
        return command;
    }
}
