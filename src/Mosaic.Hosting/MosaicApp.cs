using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mosaic.Contracts;
using Mosaic.Coordinator;
using Mosaic.Coordinator.Caching;
using Mosaic.Hosting.Advice;
using Mosaic.Hosting.Endpoints;
using Mosaic.Hosting.Http;
using Mosaic.Hosting.Observability;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Mosaic.Coordinator.Placement;
using Mosaic.Core.Placement;
using Mosaic.Core.Seams;
using Mosaic.Hosting.Backups;
using Mosaic.Hosting.Access;
using Mosaic.Hosting.Caching;
using Mosaic.Hosting.Cluster;
using Mosaic.Hosting.Embedding;
using Mosaic.Worker;
using Mosaic.Worker.Node;
using Mosaic.Worker.Placement;
using Mosaic.Worker.Rpc;

namespace Mosaic.Hosting;

/// <summary>Builds the Mosaic web application: options, parts, endpoints. The CLI and the tests start it the same way.</summary>
public static partial class MosaicApp
{
    /// <summary>The embedded server (SQLite store + coordinator + workers in one process).</summary>
    /// <param name="dataDir">Overrides Mosaic:DataDir when set.</param>
    /// <param name="port">Overrides Mosaic:Port when set; 0 picks a free port (read it from <c>app.Urls</c> after start).</param>
    /// <param name="settings">Extra configuration, e.g. "Mosaic:Coordinator:MaxDocumentBytes".</param>
    public static WebApplication Build(string? dataDir = null, int? port = null, IReadOnlyDictionary<string, string?>? settings = null, string[]? args = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args ?? [], ContentRootPath = AppContext.BaseDirectory });
        var overrides = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>());
        if (dataDir is not null)
        {
            overrides["Mosaic:DataDir"] = dataDir;
        }

        if (port is int p)
        {
            overrides["Mosaic:Port"] = p.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        builder.Configuration.AddInMemoryCollection(overrides);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        // A hedge's slower call and a search past its deadline are cancelled on purpose; gRPC logs each one with a stack
        // trace at Information, which buried the placement lines under load. Its real failures are logged as errors.
        builder.Logging.AddFilter("Grpc.AspNetCore.Server", LogLevel.Warning);
        // Hosting starts an Activity and a log scope for every request whenever its diagnostics category logs at any level,
        // though nothing here reads them (no tracing): 1-2 % of an embedded vector search's CPU. Its lines are all below
        // Warning; unhandled request errors are logged by Kestrel's own category.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);

        var options = BindOptions(builder.Configuration);
        var embedding = EmbeddingRegistration.BindOptions(builder.Configuration);
        var auth = AccessRegistration.BindOptions(builder.Configuration);
        var limits = AccessRegistration.BindRateLimits(builder.Configuration);
        var requestLimits = RequestLimits.BindOptions(builder.Configuration);
        var mosaic = options.Mosaic;
        string data = Path.GetFullPath(mosaic.DataDir);
        Directory.CreateDirectory(data);
        var worker = options.Worker with { ShardDirectory = Path.Combine(data, "shards") };
        string advertise = AdvertisedAddress(mosaic);
        // Embedded, the node is always "local": its placement rows survive restarts on another port.
        string nodeId = mosaic.Embedded ? NodeInfo.EmbeddedId : new Uri(advertise).Authority;

        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddMosaicMetrics(mosaic.Role.ToString().ToLowerInvariant());
        services.AddMosaicObservability(builder.Configuration, nodeId, mosaic.Role, advertise);
        services.AddSingleton(Options.Create(mosaic));
        services.AddSingleton(Options.Create(options.Coordinator));
        services.AddSingleton(Options.Create(options.Placement));
        services.AddSingleton(Options.Create(worker));
        services.AddMosaicCaching(mosaic.Redis, options.Cache);
        services.AddSingleton(Options.Create(options.Results with { Scope = options.Results.Scope ?? StoreScope(mosaic, data) }));
        // Embedded Mosaic is a one-node cluster over the SQLite store: the same lease, placement, worker and router.
        if (mosaic.Embedded)
        {
            services.AddMosaicSqliteStore(Path.Combine(data, "store.db"), options.Coordinator.IdempotencyRetention);
        }
        else
        {
            services.AddMosaicPostgresStore(mosaic.Store!, options.Coordinator.IdempotencyRetention);
        }

        services.AddSingleton(mosaic.Embedded ? StoreBackups.Sqlite(Path.Combine(data, "store.db"), TimeProvider.System) : StoreBackups.Postgres(mosaic.Store!, TimeProvider.System));

        // Embedded, liveness means nothing (one process holds everything): a long lease keeps a stalled process from
        // being declared dead and losing its replicas to nobody.
        int? grpcPort = mosaic.Role == NodeRole.Serve && !mosaic.Embedded ? mosaic.GrpcPort ?? mosaic.Port + 1 : null;
        string? shardAddress = grpcPort is int g ? $"{new Uri(advertise).Scheme}://{new Uri(advertise).Host}:{g}" : null;
        services.AddMosaicNodeLease(nodeId, mosaic.Role, advertise, mosaic.Embedded ? TimeSpan.FromDays(1) : mosaic.NodeLease, options.Coordinator.Serves, shardAddress);
        if (mosaic.Role.HoldsShards())
        {
            services.AddMosaicWorker(sp => new StorePlacementPlan(sp.GetRequiredService<IPlacementStore>(), nodeId));
            // Without this gRPC maps a catch-all for unknown services, {service}/{method} for every method: any other
            // two-segment path (POST /collections/c, GET /v1/embeddings) matched it and was a 404 instead of a 405.
            services.AddGrpc(grpc => grpc.IgnoreUnknownServices = true);
        }

        if (mosaic.Role.ServesApi())
        {
            services.AddMosaicClusterRouting(nodeId, mosaic.Role.HoldsShards()
                ? sp => (collection, shard, node) => node == nodeId ? sp.GetRequiredService<WorkerNode>().LocalClient(collection, shard) : null
                : null);
            services.AddMosaicCoordinator();
        }

        if (mosaic.Role == NodeRole.Embedder)
        {
            services.AddMosaicEmbedderNode(embedding);
        }

        if (mosaic.Role.ServesApi())
        {
            services.AddMosaicEmbedding(embedding, useEmbedderNodes: !mosaic.Embedded);
            services.AddMosaicAccess(auth, limits);
            services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, MosaicJsonContext.Default));
            services.AddOpenApi(o => o.AddRequestBodyDocs());
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = options.Coordinator.MaxBulkBytes;
            requestLimits.ApplyTo(kestrel.Limits);
            var address = mosaic.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(mosaic.Host);
            // A worker speaks gRPC only; without TLS there is no protocol negotiation, so it listens HTTP/2 only. A serve
            // node over PostgreSQL answers other coordinators' gRPC on a second, HTTP/2-only port (Mosaic:GrpcPort).
            kestrel.Listen(address, mosaic.Port, listen => listen.Protocols = mosaic.Role == NodeRole.Worker ? HttpProtocols.Http2 : HttpProtocols.Http1);
            if (grpcPort is int shardPort)
            {
                kestrel.Listen(address, shardPort, listen => listen.Protocols = HttpProtocols.Http2);
            }

            if (mosaic.Role == NodeRole.Worker)
            {
                // ...so /metrics gets an HTTP/1.1 listener of its own (Mosaic:MetricsPort).
                kestrel.Listen(address, mosaic.EffectiveMetricsPort, listen => listen.Protocols = HttpProtocols.Http1);
            }
        });

        var app = builder.Build();
        LogStarting(app.Logger, mosaic.Role.Name(), mosaic.Embedded ? "SQLite in " + data : "PostgreSQL", nodeId, options.Coordinator.ToString(), worker.ToString());
        app.UseMosaicRequestMetrics();
        app.UseRequestLimits(requestLimits);
        // Every route of this node but gRPC's: the ones that take GET answer HEAD too.
        var routes = app.MapGroup("").AnswerHeadLikeGet();
        routes.MapMosaicMetrics(nodeId, mosaic.Role);
        if (mosaic.Role.HoldsShards())
        {
            app.MapGrpcService<ShardGrpcService>();
        }

        // An embedder answers /v1/embeddings and its own /health, /ready and /cluster; a worker only /health (and gRPC).
        if (mosaic.Role == NodeRole.Embedder)
        {
            app.UseApiErrors();
            routes.MapEmbedderNode();
            return app;
        }

        if (!mosaic.Role.ServesApi())
        {
            routes.MapGet("/health", () => "ok");
            return app;
        }

        app.UseNodeHeader(nodeId);
        app.UseApiErrors();
        app.UseCheckedPathSegments();
        app.UseApiKeys(auth);
        app.UseRateLimits(auth);
        app.UseETags();
        app.UseServesGate(options.Coordinator.Serves);
        app.UseStatusCodePages(async context =>
        {
            var response = context.HttpContext.Response;
            if (response.ContentLength is null && response.ContentType is null)
            {
                var (code, what) = response.StatusCode switch
                {
                    404 => ("not_found", "no such endpoint"),
                    405 => ("method_not_allowed", "this endpoint does not take that method"),
                    415 => ("unsupported_media_type", "unsupported content type"),
                    _ => ("bad_request", "the request could not be read"),
                };
                await ApiErrors.Error(response.StatusCode, code, $"{context.HttpContext.Request.Method} {context.HttpContext.Request.Path}: {what}")
                    .ExecuteAsync(context.HttpContext);
            }
        });
        // Only the one document there is: with {documentName} open, any other name got a text/plain 404 from the OpenAPI
        // endpoint itself instead of the API's JSON error.
        routes.MapOpenApi("/openapi/{documentName:regex(^v1$)}.json");
        routes.MapCollections();
        routes.MapDocuments();
        routes.MapSearch();
        routes.MapOperations();
        routes.MapDashboard();
        routes.MapAdvice();
        routes.MapEmbeddings();
        routes.MapClusterAdmin();
        routes.MapBackups();
        routes.MapKeys();
        if (!auth.Enabled && !IsLoopback(mosaic.Host))
        {
            LogKeysOff(app.Logger, mosaic.Host);
        }
        return app;
    }

    private static bool IsLoopback(string host) => host == "localhost" || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));

    /// <summary>Where other nodes reach this one; a worker on port 0 must say it explicitly.</summary>
    private static string AdvertisedAddress(MosaicOptions mosaic)
    {
        if (mosaic.Advertise is { } given)
        {
            return given.Contains("://", StringComparison.Ordinal) ? given.TrimEnd('/') : "http://" + given;
        }

        string host = mosaic.Host is "0.0.0.0" or "::" ? "127.0.0.1" : mosaic.Host;
        return $"http://{host}:{mosaic.Port}";
    }

    /// <summary>The default cache scope: which store this is, the same string on every coordinator of it.</summary>
    private static string StoreScope(MosaicOptions mosaic, string data)
    {
        if (mosaic.Embedded)
        {
            return $"sqlite@{Environment.MachineName}{data}";
        }

        var store = new Npgsql.NpgsqlConnectionStringBuilder(mosaic.Store);
        return $"pg@{store.Host}:{store.Port}/{store.Database}";
    }

    /// <summary>Binds every options record and validates them together, so a bad start names all problems at once.</summary>
    private static (MosaicOptions Mosaic, CoordinatorOptions Coordinator, WorkerOptions Worker, PlacementOptions Placement, CacheOptions Cache, ResultCacheOptions Results) BindOptions(IConfiguration configuration)
    {
        var mosaic = configuration.GetSection("Mosaic").Get<MosaicOptions>() ?? new MosaicOptions();
        var coordinator = configuration.GetSection("Mosaic:Coordinator").Get<CoordinatorOptions>() ?? new CoordinatorOptions();
        if (mosaic.Embedded && configuration["Mosaic:Coordinator:QueryAndFetchMaxRows"] is null)
        {
            // In-process shards: the fetch round is a direct call, so one round would only read more rows (QueryAndFetch).
            coordinator = coordinator with { QueryAndFetchMaxRows = 0 };
        }

        var worker = configuration.GetSection("Mosaic:Worker").Get<WorkerOptions>() ?? new WorkerOptions();
        var placement = configuration.GetSection("Mosaic:Placement").Get<PlacementOptions>() ?? new PlacementOptions();
        var cache = configuration.GetSection("Mosaic:Cache").Get<CacheOptions>() ?? new CacheOptions();
        var results = configuration.GetSection("Mosaic:Cache:Results").Get<ResultCacheOptions>() ?? new ResultCacheOptions();
        var errors = mosaic.Validate().Concat(coordinator.Validate()).Concat(worker.Validate()).Concat(placement.Validate()).Concat(cache.Validate()).Concat(results.Validate()).ToList();
        if (mosaic.Role == NodeRole.Worker && mosaic.Port == 0 && mosaic.Advertise is null)
        {
            errors.Add("a worker on port 0 needs Mosaic:Advertise (--advertise host:port) so that coordinators can reach it");
        }

        if (errors.Count > 0)
        {
            throw new OptionsValidationException("Mosaic", typeof(MosaicOptions), errors);
        }

        return (mosaic, coordinator, worker, placement, cache, results);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "API keys are off (Mosaic:Auth:Enabled=false) and the API listens on {Host}, beyond loopback: anyone who can reach it may read, write and drop collections. Create an admin key (mosaic keys create --role admin --data DIR | --store CONN) and set Mosaic:Auth:Enabled=true")]
    private static partial void LogKeysOff(ILogger logger, string host);

    [LoggerMessage(Level = LogLevel.Information, Message = "Mosaic starting as {Role} (node {Node}) on {Store}; coordinator {Coordinator}; worker {Worker}")]
    private static partial void LogStarting(ILogger logger, string role, string store, string node, string coordinator, string worker);
}
