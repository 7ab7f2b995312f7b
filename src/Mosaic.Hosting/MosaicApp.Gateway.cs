using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mosaic.Coordinator;
using Mosaic.Gateway;
using Mosaic.Hosting.Http;

namespace Mosaic.Hosting;

public static partial class MosaicApp
{
    /// <summary>The gateway (<c>mosaic gateway</c>): a stateless load balancer in front of the coordinators.</summary>
    /// <param name="port">Overrides Mosaic:Port when set.</param>
    /// <param name="settings">Extra configuration: Mosaic:Store to find coordinators in the store, Mosaic:Gateway:* (backends, policy, health checks).</param>
    public static WebApplication BuildGateway(int? port = null, IReadOnlyDictionary<string, string?>? settings = null, string[]? args = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args ?? [], ContentRootPath = AppContext.BaseDirectory });
        var overrides = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>());
        if (port is int p)
        {
            overrides["Mosaic:Port"] = p.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        builder.Configuration.AddInMemoryCollection(overrides);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        // YARP logs every proxied request at Information; failures it reports at Warning, health changes at Warning too.
        builder.Logging.AddFilter("Yarp", LogLevel.Warning);
        // Health changes back to healthy (and a passive "out" ending) are Information there; an operator wants both directions.
        builder.Logging.AddFilter("Yarp.ReverseProxy.Health.DestinationHealthUpdater", LogLevel.Information);
        // A failed probe is logged with its whole stack; the health change it causes is logged once at Warning anyway.
        builder.Logging.AddFilter("Yarp.ReverseProxy.Health.ActiveHealthCheckMonitor", LogLevel.Error);
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);

        var mosaic = builder.Configuration.GetSection("Mosaic").Get<MosaicOptions>() ?? new MosaicOptions();
        var gateway = builder.Configuration.GetSection("Mosaic:Gateway").Get<GatewayOptions>() ?? new GatewayOptions();
        var coordinator = builder.Configuration.GetSection("Mosaic:Coordinator").Get<CoordinatorOptions>() ?? new CoordinatorOptions();
        var requestLimits = RequestLimits.BindOptions(builder.Configuration);
        bool discover = string.IsNullOrWhiteSpace(gateway.Backends);
        var errors = mosaic.Validate().Concat(gateway.Validate(haveStore: !mosaic.Embedded)).ToList();
        if (errors.Count > 0)
        {
            throw new OptionsValidationException("Mosaic", typeof(GatewayOptions), errors);
        }

        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(Options.Create(mosaic));
        if (discover)
        {
            services.AddMosaicPostgresStore(mosaic.Store!);
        }

        services.AddMosaicGateway(gateway, discover);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // The coordinators' own limit, not Kestrel's 30 MB default: a bulk the coordinators take must pass the gateway too.
            kestrel.Limits.MaxRequestBodySize = coordinator.MaxBulkBytes;
            // The coordinators' line and header limits too, answered here with the API's error body.
            requestLimits.ApplyTo(kestrel.Limits);
            var address = mosaic.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(mosaic.Host);
            kestrel.Listen(address, mosaic.Port, listen => listen.Protocols = HttpProtocols.Http1);
        });

        var app = builder.Build();
        LogGatewayStarting(app.Logger, discover ? "the store's node registry" : gateway.Backends!, gateway.ToString());
        app.UseRequestLimits(requestLimits);
        // Before YARP: the gateway's own routing sees the resolved path, and a target naming another resource stops here.
        app.UseCheckedPathSegments();
        app.MapMosaicGateway();
        return app;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Mosaic gateway starting; coordinators from {Source}; {Options}")]
    private static partial void LogGatewayStarting(ILogger logger, string source, string options);
}
