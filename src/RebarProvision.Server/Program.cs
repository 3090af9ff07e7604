using System.Net.Sockets;
using RebarProvision.Server.Configuration;
using RebarProvision.Server.Hosting;

namespace RebarProvision.Server;

public static class Program
{
    /// <returns>0 after a clean stop, 2 for a configuration error, 1 when the server could not start.</returns>
    public static async Task<int> Main(string[] args)
    {
        if (args is ["migrate", .. var rest])
        {
            return await Cluster.MigrateCommand.RunAsync(rest, Console.Out, Console.Error);
        }
        ServerOptions options;
        try
        {
            options = ServerConfiguration.Load(args);
        }
        catch (ConfigurationException e)
        {
            await Console.Error.WriteLineAsync($"rebar-provision: {e.Message}");
            return 2;
        }
        var logger = Logging.Create(options);
        try
        {
            logger.Information("Starting node {Node}: store {Store}, data in {DataDir}", options.Node, options.Store, options.DataDir);
            await using var app = await ServerHost.BuildAsync(options, logger);
            await app.RunAsync();
            return 0;
        }
        catch (Exception e) when (IsPermissionDenied(e))
        {
            logger.Fatal("Cannot bind a port: {Message}. Ports below 1024 need root or CAP_NET_BIND_SERVICE (setcap cap_net_bind_service=+ep), or configure higher ports", e.Message);
            return 1;
        }
        catch (ConfigurationException e)
        {
            logger.Fatal("{Message}", e.Message);
            return 2;
        }
#pragma warning disable CA1031 // The process's outermost boundary: whatever ended it is logged as fatal and becomes exit code 1.
        catch (Exception e)
#pragma warning restore CA1031
        {
            logger.Fatal(e, "rebar-provision could not start: {Message}", e.Message);
            return 1;
        }
        finally
        {
            (logger as IDisposable)?.Dispose();
        }
    }

    private static bool IsPermissionDenied(Exception e) =>
        e is SocketException { SocketErrorCode: SocketError.AccessDenied }
        || e.InnerException is SocketException { SocketErrorCode: SocketError.AccessDenied }
        || (e is IOException && e.Message.Contains("Permission denied", StringComparison.OrdinalIgnoreCase));
}
