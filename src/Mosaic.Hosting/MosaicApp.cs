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
using Mosaic.Hosting.Endpoints;
using Mosaic.Hosting.Http;
using Mosaic.Worker;

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

        var options = BindOptions(builder.Configuration);
        string data = Path.GetFullPath(options.Mosaic.DataDir);
        Directory.CreateDirectory(data);
        var worker = options.Worker with { ShardDirectory = Path.Combine(data, "shards") };

        builder.Services.AddSingleton(Options.Create(options.Mosaic));
        builder.Services.AddSingleton(Options.Create(options.Coordinator));
        builder.Services.AddSingleton(Options.Create(worker));
        builder.Services.AddMosaicSqliteStore(Path.Combine(data, "store.db"));
        builder.Services.AddMosaicLocalWorker();
        builder.Services.AddMosaicCoordinator();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, MosaicJsonContext.Default));
        builder.Services.AddOpenApi(o => o.AddRequestBodyDocs());

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = options.Coordinator.MaxBulkBytes;
            var address = options.Mosaic.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(options.Mosaic.Host);
            kestrel.Listen(address, options.Mosaic.Port);
        });

        var app = builder.Build();
        LogStarting(app.Logger, data, options.Mosaic.Host, options.Mosaic.Port, options.Coordinator.ToString(), worker.ToString());
        app.UseApiErrors();
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
        app.MapOpenApi();
        app.MapCollections();
        app.MapDocuments();
        app.MapSearch();
        app.MapOperations();
        return app;
    }

    /// <summary>Binds every options record and validates them together, so a bad start names all problems at once.</summary>
    private static (MosaicOptions Mosaic, CoordinatorOptions Coordinator, WorkerOptions Worker) BindOptions(IConfiguration configuration)
    {
        var mosaic = configuration.GetSection("Mosaic").Get<MosaicOptions>() ?? new MosaicOptions();
        var coordinator = configuration.GetSection("Mosaic:Coordinator").Get<CoordinatorOptions>() ?? new CoordinatorOptions();
        var worker = configuration.GetSection("Mosaic:Worker").Get<WorkerOptions>() ?? new WorkerOptions();
        var errors = mosaic.Validate().Concat(coordinator.Validate()).Concat(worker.Validate()).ToList();
        if (errors.Count > 0)
        {
            throw new OptionsValidationException("Mosaic", typeof(MosaicOptions), errors);
        }

        return (mosaic, coordinator, worker);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Mosaic starting: data {DataDir}, listening on {Host}:{Port}; coordinator {Coordinator}; worker {Worker}")]
    private static partial void LogStarting(ILogger logger, string dataDir, string host, int port, string coordinator, string worker);
}
