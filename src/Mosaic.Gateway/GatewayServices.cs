using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Transforms;

namespace Mosaic.Gateway;

/// <summary>Registers and maps the gateway: YARP with Mosaic's routing, health policies, retry and metrics.</summary>
public static class GatewayServices
{
    /// <summary>The gateway's services. With <paramref name="discoverFromStore"/> the host must register an <c>INodeRegistry</c>.</summary>
    public static IServiceCollection AddMosaicGateway(this IServiceCollection services, GatewayOptions options, bool discoverFromStore)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(Options.Create(options));
        services.TryAddSingleton<GatewayMetrics>();
        services.TryAddSingleton<GatewayDispatch>();
        services.AddSingleton<IPassiveHealthCheckPolicy, MaxFailsHealthPolicy>();
        services.AddReverseProxy()
            .LoadFromMemory(GatewayProxyConfig.Routes(), GatewayProxyConfig.Clusters(options, discoverFromStore ? [] : options.StaticBackends()))
            .AddTransforms(builder => builder.AddRequestTransform(context =>
            {
                RawTargetTransform.Apply(context);
                return ValueTask.CompletedTask;
            }));
        if (discoverFromStore)
        {
            services.AddHostedService<StoreBackendDiscovery>();
        }

        return services;
    }

    /// <summary>Maps /health, /ready, /metrics and the proxy for everything else.</summary>
    public static WebApplication MapMosaicGateway(this WebApplication app)
    {
        app.MapGatewayEndpoints();
        var dispatch = app.Services.GetRequiredService<GatewayDispatch>();
        var metrics = app.Services.GetRequiredService<GatewayMetrics>();
        app.MapReverseProxy(pipeline =>
        {
            pipeline.Use(dispatch.InvokeAsync);
            pipeline.UseLoadBalancing();
            pipeline.Use(metrics.CountSentAsync);
            pipeline.UsePassiveHealthChecks();
        });
        return app;
    }
}
