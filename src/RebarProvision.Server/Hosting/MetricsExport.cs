using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace RebarProvision.Server.Hosting;

/// <summary>
/// <c>/metrics</c> in the Prometheus text format through OpenTelemetry's exporter, fed by the System.Diagnostics.Metrics
/// meters the DHCP, TFTP and store code publish (they know nothing of Prometheus) and by ASP.NET Core's own HTTP meter.
/// The exporter maps each instrument kind (an up-down counter is a gauge, not a counter) and keeps cumulative totals.
/// </summary>
public static class MetricsExport
{
    /// <summary>
    /// Our meters are named "RebarProvision.*"; anything named otherwise (the DHCP warm-up's) is not exported.
    /// "Microsoft.AspNetCore.Hosting" gives <c>http_server_request_duration_seconds</c> by route and status.
    /// </summary>
    private static readonly string[] Meters = ["RebarProvision.*", "Microsoft.AspNetCore.Hosting"];

    /// <summary>Latency in seconds from 100 µs to 2.5 s (the SDK's default buckets are sized for milliseconds).</summary>
    private static readonly double[] SecondsBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

    /// <summary>
    /// Registers the meter provider. The hosting package starts it with the host, so packets are counted from the
    /// start, not from the first scrape; call this before the UDP services are registered so it starts first.
    /// </summary>
    /// <param name="node">the node name, reported as the service instance in <c>target_info</c></param>
    public static IServiceCollection AddMetricsExport(this IServiceCollection services, string node)
    {
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("rebar-provision", serviceInstanceId: node))
            .WithMetrics(metrics => metrics
            .AddMeter(Meters)
            .AddView(instrument => instrument.Unit == "s" && instrument.Meter.Name.StartsWith("RebarProvision.", StringComparison.Ordinal)
                ? new ExplicitBucketHistogramConfiguration { Boundaries = SecondsBuckets }
                : null)
            // No response cache: two scrapes a moment apart must each read the meters.
            .AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0));
        return services;
    }

    /// <summary>Maps <c>/metrics</c>; the caller restricts it to a listener and a role.</summary>
    public static IEndpointConventionBuilder MapMetrics(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPrometheusScrapingEndpoint("/metrics");
}
