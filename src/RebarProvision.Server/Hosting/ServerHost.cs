using System.Net;
using RebarProvision.Dhcp.Server;
using RebarProvision.Model;
using RebarProvision.Rendering;
using RebarProvision.Server.Api;
using RebarProvision.Server.Auth;
using RebarProvision.Server.Boot;
using RebarProvision.Server.Cluster;
using RebarProvision.Server.Configuration;
using RebarProvision.Server.Content;
using RebarProvision.Server.Events;
using RebarProvision.Server.Images;
using RebarProvision.Server.Leases;
using RebarProvision.Server.Machines;
using RebarProvision.Server.Objects;
using RebarProvision.Server.Power;
using RebarProvision.Server.Rollouts;
using RebarProvision.Server.Secrets;
using RebarProvision.Server.Tftp;
using RebarProvision.Server.Ui;
using RebarProvision.Store;
using Serilog;

namespace RebarProvision.Server.Hosting;

/// <summary>
/// Wires the one process: the store, the API and HTTP boot listeners on Kestrel, and the UDP services. Everything
/// here is composition; the work is done in the services it registers.
/// </summary>
public static class ServerHost
{
    /// <summary>Opens and migrates the store, loads content into an empty one, and builds the application.</summary>
    public static async Task<WebApplication> BuildAsync(ServerOptions options, Serilog.ILogger logger, CancellationToken cancellationToken = default)
    {
        KeyFile.CreateOwnerOnlyFolder(options.DataDir);
        // Resilience wraps the store at this one seam (DESIGN §7): timeouts, retries with jitter, a circuit breaker.
        var kind = StoreFactory.ParseKind(options.Store);
        IStore store = new ResilientStore(StoreFactory.Create(kind, kind == StoreKind.Postgres ? options.Postgres! : options.DataDir), new ResilientStoreOptions(), TimeProvider.System);
        try
        {
            return await BuildOnAsync(store, options, logger, cancellationToken);
        }
        catch
        {
            // Nothing owns the store yet: close it, so the data directory is free for the next attempt.
            await store.DisposeAsync();
            throw;
        }
    }

    private static async Task<WebApplication> BuildOnAsync(IStore store, ServerOptions options, Serilog.ILogger logger, CancellationToken cancellationToken)
    {
        await store.MigrateAsync(cancellationToken);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Host.UseSerilog(logger, dispose: false);
        builder.Services.AddSingleton(options);
        // Registered through a factory, so the container that owns everything using it also disposes it, after them.
        builder.Services.AddSingleton(_ => store);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<EventBus>();
        builder.Services.AddMetricsExport(options.Node);
        var cache = new ObjectCache();
        // Only the loggers it creates outlive the start; they keep writing to `logger`, which the factory does not own.
        using var clusterLogging = new Serilog.Extensions.Logging.SerilogLoggerFactory(logger);
        var cluster = await ClusterServices.StartAsync(store, cache, clusterLogging, cancellationToken);
        await cache.LoadAsync(store, cancellationToken);
        builder.Services.AddSingleton(cache);
        cluster.Register(builder.Services);
        var secureParams = new SecureParams(SecureParams.LoadOrCreateKey(options.DataDir));
        builder.Services.AddSingleton(secureParams);
        var bootSecrets = new BootSecrets(secureParams);
        builder.Services.AddSingleton(bootSecrets);
        builder.Services.AddSingleton<Inventory>();
        builder.Services.AddApiAccess();
        var tokens = new MachineTokens(MachineTokens.LoadOrCreateKey(options.DataDir), bootSecrets, TimeProvider.System);
        builder.Services.AddSingleton(tokens);
        builder.Services.AddSingleton(new BootRenderer(new TemplateSandbox(cache, tokens.Issue, RenderLimits.Default)));
        builder.Services.AddSingleton<Discovery>();
        builder.Services.AddSingleton<IUnknownMachines>(sp => sp.GetRequiredService<Discovery>());
        builder.Services.AddSingleton<MachineLifecycle>();
        builder.Services.AddSingleton<BootFiles>();
        builder.Services.AddSingleton<MachineReportLimiter>();
        builder.Services.AddPowerControl();
        builder.Services.AddHostedService<StuckMachines>().AddHostedService<StaleDiscoveries>().AddHostedService<EventRetention>()
            .AddHostedService<LeaseExpiry>();
        builder.Services.AddSingleton<RolloutRecords>().AddSingleton<RolloutPlanner>().AddHostedService<RolloutDriver>();
        if (options.DhcpInterfaces.Count > 0)
        {
            builder.Services.AddDhcpServer(DhcpOptionsFrom(options));
        }
        if (options.TftpPort != 0)
        {
            builder.Services.AddSingleton<BootTftpSource>();
            builder.Services.AddHostedService<TftpService>();
        }
        builder.Services.AddSingleton<ContentImporter>();
        builder.Services.AddSingleton<ImageStore>().AddSingleton<ImageLibrary>().AddSingleton<ImageInstaller>().AddSingleton<BootEnvReadiness>();
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi("v1");
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = ModelJson.Options.PropertyNamingPolicy;
            json.SerializerOptions.PropertyNameCaseInsensitive = true;
            json.SerializerOptions.DefaultIgnoreCondition = ModelJson.Options.DefaultIgnoreCondition;
            foreach (var converter in ModelJson.Options.Converters)
            {
                json.SerializerOptions.Converters.Add(converter);
            }
        });
        ConfigureKestrel(builder, options);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.Use((http, next) => Listener.EnforceAsync(http, () => next(http)));
        app.UseAuthentication();
        app.UseAuthorization();

        var api = new Listener("api", options.ApiPort);
        // Every /api/v1 route gets its policy from ApiAccess's table; /healthz and /readyz stay open for probes.
        var group = app.MapGroup("/api/v1").AddEndpointFilter<ProblemFilter>().WithMetadata(api).RequireApiAccess();
        group.MapTokenEndpoints();
        group.MapRolloutEndpoints();
        group.MapMachineActionEndpoints();
        group.MapObjectEndpoints();
        group.MapLeaseEndpoints();
        group.MapEventEndpoints();
        group.MapContentEndpoints();
        group.MapImageEndpoints();
        group.MapBootEnvReadinessEndpoints();
        group.MapBootCheckEndpoints();
        group.MapAnsibleInventoryEndpoints();
        group.MapWhoAmI();
        app.MapUi(api);
        app.MapUiSessions(api);
        group.MapNodeEndpoints(cluster.NodeTable);
        app.MapOpenApi("/api/v1/openapi.json").WithMetadata(api).RequireAuthorization(ApiAccess.Read);
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", async (IStore s, LiveNodes nodes, CancellationToken ct) =>
            !await s.PingAsync(ct) ? Problems.Unavailable("the store does not answer")
            : !nodes.IsMember ? Problems.Unavailable($"node '{nodes.Self}' is not in the cluster: its heartbeat has not reached the store within {LiveNodes.DeadAfter.TotalSeconds:0} s", 1)
            : Results.Text($"ready: node {nodes.Self}, one of {nodes.Live.Count} live\n"));
        // Metrics need a readonly credential: they name subnets and count machines (Prometheus sends a bearer token).
        app.MapMetrics().WithMetadata(api).RequireAuthorization(ApiAccess.Read);

        if (options.HttpPort != 0)
        {
            app.MapBootEndpoints(new Listener("boot", options.HttpPort));
        }

        var importer = app.Services.GetRequiredService<ContentImporter>();
        await ContentSeeder.SeedAsync(options, importer, app.Services.GetRequiredService<ILogger<ContentImporter>>(), cancellationToken);
        await AdminBootstrap.EnsureAdminAsync(app.Services.GetRequiredService<Inventory>(), options,
            app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AdminBootstrap).FullName!), Console.Out, cancellationToken);
        return app;
    }

    private static DhcpServiceOptions DhcpOptionsFrom(ServerOptions options)
    {
        var dhcp = new DhcpServiceOptions
        {
            Interfaces = [.. options.DhcpInterfaces],
            Port = options.DhcpPort,
            ProxyPort = options.ProxyPort,
            Node = options.Node,
            HttpPort = options.HttpPort,
            AdvertiseAddress = options.Advertise,
            OfferHoldSeconds = options.DhcpOfferHoldSeconds,
            OfferGraceSeconds = options.DhcpOfferGraceSeconds,
        };
        var errors = dhcp.Validate().ToList();
        return errors.Count == 0 ? dhcp : throw new ConfigurationException("dhcp: " + string.Join("; ", errors));
    }

    private static void ConfigureKestrel(WebApplicationBuilder builder, ServerOptions options)
    {
        var listen = options.Listen is null ? IPAddress.Any : IPAddress.Parse(options.Listen);
        var certificate = options.ApiPort != 0 && options.ApiTls ? ServerCertificate.LoadOrCreate(options.DataDir) : null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Kernels, initrds and images stream in larger writes before Kestrel waits for the socket to drain
            // (the default 64 KiB threshold costs about a tenth of large-file throughput on loopback).
            kestrel.Limits.MaxResponseBufferSize = 1024 * 1024;
            if (options.HttpPort != 0)
            {
                kestrel.Listen(listen, options.HttpPort);
            }
            if (options.ApiPort != 0)
            {
                kestrel.Listen(listen, options.ApiPort, endpoint =>
                {
                    if (certificate is not null)
                    {
                        endpoint.UseHttps(certificate);
                    }
                });
            }
        });
    }
}
