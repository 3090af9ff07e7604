using RebarProvision.Server.Configuration;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace RebarProvision.Server.Hosting;

/// <summary>Serilog: console text by default, compact JSON on request, and an optional file.</summary>
public static class Logging
{
    public static Serilog.ILogger Create(ServerOptions options)
    {
        var level = Enum.TryParse<LogEventLevel>(options.LogLevel, ignoreCase: true, out var parsed) ? parsed : LogEventLevel.Information;
        var config = new LoggerConfiguration()
            .MinimumLevel.Is(level)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
            .Enrich.FromLogContext()
            .Enrich.WithProperty("node", options.Node);
        config = options.LogFormat == "json"
            ? config.WriteTo.Console(new CompactJsonFormatter())
            : config.WriteTo.Console(outputTemplate: "{Timestamp:HH:mm:ss} {Level:u3} {SourceContext:l}: {Message:lj}{NewLine}{Exception}");
        if (!string.IsNullOrEmpty(options.LogFile))
        {
            config = config.WriteTo.File(new CompactJsonFormatter(), options.LogFile);
        }
        return config.CreateLogger();
    }
}
