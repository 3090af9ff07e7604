using System.CommandLine;
using RebarProvision.Cli.Http;
using RebarProvision.Cli.Settings;

namespace RebarProvision.Cli;

/// <summary>
/// Runs a command's body and turns what went wrong into the documented exit code with a message on stderr, so every
/// command fails the same way.
/// </summary>
public sealed class CommandAction(GlobalOptions globals, CliEnvironment environment)
{
    public void Bind(Command command, Func<CliContext, CancellationToken, Task<int>> body) =>
        command.SetAction((parse, ct) => RunAsync(parse, body, ct));

    private async Task<int> RunAsync(ParseResult parse, Func<CliContext, CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        using var context = new CliContext(parse, globals, environment);
        try
        {
            return await body(context, cancellationToken);
        }
        catch (ApiException e)
        {
            await context.Error.WriteLineAsync(e.Problem.ToString());
            return ExitCodes.ApiError;
        }
        catch (CommandFailedException e)
        {
            await context.Error.WriteLineAsync("error: " + e.Message);
            return e.ExitCode;
        }
        catch (HttpRequestException e)
        {
            // The connection broke after the request was sent (server stopped, network lost).
            await context.Error.WriteLineAsync($"error: lost the connection to the server: {e.InnerException?.Message ?? e.Message}");
            return ExitCodes.CannotConnect;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await context.Error.WriteLineAsync("interrupted");
            return ExitCodes.Interrupted;
        }
    }
}
