using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Mosaic.Gateway;

/// <summary>The YARP configuration of the gateway: one route for everything, one cluster of every backend.</summary>
/// <remarks>
/// One cluster, not one per kind: a coordinator serving both reads and writes then has one health state, probed once.
/// <see cref="GatewayDispatch"/> narrows the destinations per request (reads, writes, backups) before load balancing.
/// </remarks>
internal static class GatewayProxyConfig
{
    public const string ClusterId = "coordinators";
    public const string RouteId = "all";

    /// <summary>Destination metadata: which requests it serves ("read", "write", "both").</summary>
    public const string ServesKey = "mosaic.serves";

    /// <summary>Destination metadata: "true" for a backup.</summary>
    public const string BackupKey = "mosaic.backup";

    // YARP's ConsecutiveFailures active policy reads its threshold from this cluster metadata key.
    private const string ThresholdKey = "ConsecutiveFailuresHealthCheck.Threshold";

    public static IReadOnlyList<RouteConfig> Routes() =>
    [
        new RouteConfig
        {
            RouteId = RouteId,
            ClusterId = ClusterId,
            // Lowest precedence: the gateway's own /health, /ready and /metrics win over the catch-all.
            Order = int.MaxValue,
            Match = new RouteMatch { Path = "/{**rest}" },
        },
    ];

    public static IReadOnlyList<ClusterConfig> Clusters(GatewayOptions options, IReadOnlyList<Backend> backends) =>
    [
        new ClusterConfig
        {
            ClusterId = ClusterId,
            LoadBalancingPolicy = options.PolicyName,
            Metadata = new Dictionary<string, string> { [ThresholdKey] = options.UnhealthyAfter.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            HealthCheck = new HealthCheckConfig
            {
                Active = new ActiveHealthCheckConfig
                {
                    Enabled = true,
                    Interval = options.HealthInterval,
                    Timeout = options.HealthTimeout,
                    Policy = "ConsecutiveFailures",
                    Path = "/ready",
                },
                Passive = new PassiveHealthCheckConfig { Enabled = true, Policy = MaxFailsHealthPolicy.PolicyName, ReactivationPeriod = options.FailTimeout },
            },
            HttpRequest = new ForwarderRequestConfig { ActivityTimeout = options.RequestTimeout },
            Destinations = backends
                .GroupBy(b => b.Url, StringComparer.Ordinal)
                .ToDictionary(
                    g => g.Key,
                    g => new DestinationConfig
                    {
                        Address = g.Key,
                        Health = g.Key,
                        Metadata = new Dictionary<string, string>
                        {
                            [ServesKey] = g.First().Serves.ToString(),
                            [BackupKey] = g.First().Backup ? "true" : "false",
                        },
                    },
                    StringComparer.Ordinal),
        },
    ];
}
