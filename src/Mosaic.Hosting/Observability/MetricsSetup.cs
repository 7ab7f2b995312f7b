using System.Data.Common;
using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mosaic.Core.Observability;
using Mosaic.Core.Placement;
using Mosaic.Hosting.Advice;
using Mosaic.Hosting.Cluster;
using Mosaic.Worker.Node;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Mosaic.Hosting.Observability;

/// <summary>Metrics wiring: <see cref="MosaicMetrics"/> in DI, the Prometheus exporter, request timing and /metrics.</summary>
/// <remarks>
/// The exporter is OpenTelemetry's Prometheus exporter: it reads <c>System.Diagnostics.Metrics</c> natively (units become
/// name suffixes, histogram bucket advice is honoured, observable gauges are read at scrape time) and comes with the
/// runtime meter's CPU, memory and GC figures; prometheus-net would have needed its meter adapter to do the same.
/// </remarks>
public static class MetricsSetup
{
    /// <summary>The path every role serves Prometheus text on (a worker on its HTTP/1.1 metrics port).</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>Registers the meter, the instruments and the Prometheus exporter.</summary>
    public static IServiceCollection AddMosaicMetrics(this IServiceCollection services, string role)
    {
        services.AddMetrics();
        services.TryAddSingleton<MosaicMetrics>();
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("mosaic-" + role))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(MosaicMetrics.MeterName, MosaicMetrics.RuntimeMeterName).AddPrometheusExporter();
                foreach (var (from, to) in MosaicMetrics.RuntimeRenames)
                {
                    metrics.AddView(from, new MetricStreamConfiguration { Name = to });
                }
            });
        return services;
    }

    /// <summary>The signal recorder everywhere; on API nodes also the cluster sampler behind the dashboard and the advisor.</summary>
    /// <param name="selfAddress">This node's advertised address (what the store lists it under).</param>
    public static IServiceCollection AddMosaicObservability(this IServiceCollection services, IConfiguration configuration, string nodeId, NodeRole role, string selfAddress)
    {
        var options = configuration.GetSection("Mosaic:Observability").Get<ObservabilityOptions>() ?? new ObservabilityOptions();
        var advice = configuration.GetSection("Mosaic:Advice").Get<AdviceOptions>() ?? new AdviceOptions();
        // Both records at once, so a bad start names every problem.
        var errors = options.Validate().Concat(advice.Validate()).ToList();
        if (errors.Count > 0)
        {
            throw new OptionsValidationException("Mosaic:Observability", typeof(ObservabilityOptions), errors);
        }

        services.AddSingleton(Options.Create(options));
        services.AddSingleton(Options.Create(advice));
        services.TryAddSingleton(sp => new SignalRecorder(sp.GetRequiredService<MosaicMetrics>(), sp.GetRequiredService<TimeProvider>()));
        if (role.ServesApi())
        {
            services.TryAddSingleton(sp => new ClusterSampler(
                sp.GetRequiredService<IClusterStatus>(), sp.GetRequiredService<SignalRecorder>(), sp.GetRequiredService<MosaicMetrics>(),
                sp.GetRequiredService<IOptions<ObservabilityOptions>>(), nodeId, selfAddress, sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<ClusterSampler>>()));
            services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<ClusterSampler>());
            services.TryAddSingleton(sp =>
            {
                var advisor = new Advisor(sp.GetRequiredService<IOptions<AdviceOptions>>(), sp.GetRequiredService<MosaicMetrics>(), sp.GetRequiredService<TimeProvider>());
                var sampler = sp.GetRequiredService<ClusterSampler>();
                sampler.Sampled += _ => advisor.Evaluate(sampler.HistoryOrLatest(advice.Window));
                return advisor;
            });
        }

        return services;
    }

    /// <summary>Times every request by its route template and final status; counts store failures that reach the API.</summary>
    /// <remarks>Add it first, so that the status it records is the one the error handlers wrote.</remarks>
    public static void UseMosaicRequestMetrics(this WebApplication app)
    {
        var metrics = app.Services.GetRequiredService<MosaicMetrics>();
        app.Use(async (context, next) =>
        {
            long started = Stopwatch.GetTimestamp();
            int? failed = null;
            try
            {
                await next(context);
            }
            catch (DbException)
            {
                metrics.RecordStoreError(context.Request.Method + " " + RouteOf(context));
                failed = StatusCodes.Status500InternalServerError;
                throw;
            }
            catch (Exception)
            {
                failed = StatusCodes.Status500InternalServerError;
                throw;
            }
            finally
            {
                metrics.RecordRequest(RouteOf(context), context.Request.Method, failed ?? context.Response.StatusCode, Stopwatch.GetElapsedTime(started));
            }
        });
    }

    /// <summary>Serves /metrics and /signals, and feeds the per-shard and data disk gauges from this process's worker, when it has one.</summary>
    public static void MapMosaicMetrics(this IEndpointRouteBuilder app, string nodeId, NodeRole role)
    {
        // The exporter maps its path for every method; a scrape is a GET, and PUT /metrics is a 405 like any other route's wrong method.
        app.MapPrometheusScrapingEndpoint(MetricsPath).WithMetadata(new HttpMethodMetadata([HttpMethods.Get]));
        // Resolved now so that it listens from the first request on.
        app.ServiceProvider.GetRequiredService<SignalRecorder>();
        app.MapSignals(nodeId, role.Name());
        if (app.ServiceProvider.GetService<WorkerNode>() is { } worker)
        {
            app.ServiceProvider.GetRequiredService<MosaicMetrics>().AddShardSource(() => worker.AllReplicas().Select(r =>
            {
                var stats = r.Stats();
                return new ShardGauge(r.Collection.Name, r.Shard, worker.NodeName, stats.DocCount, stats.Bytes, stats.Lag, r.SearchesServed);
            }));
        }

        if (app.ServiceProvider.GetService<DataDisk>() is { } disk)
        {
            app.ServiceProvider.GetRequiredService<MosaicMetrics>().AddDiskSource(() => [KeyValuePair.Create(nodeId, disk.Measure())]);
        }
    }

    // The template, not the path: /collections/{name}/docs/{id} is one series, not one per document.
    private static string RouteOf(HttpContext context) =>
        context.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } template } ? "/" + template.TrimStart('/') : "unmatched";
}
