using Mosaic.Core.Placement;

namespace Mosaic.Hosting;

/// <summary>Process-wide settings, bound from configuration section "Mosaic" (appsettings.json, MOSAIC__* env vars, flags).</summary>
public sealed record MosaicOptions
{
    /// <summary>Where the store file and shard files live.</summary>
    public string DataDir { get; init; } = "mosaic-data";

    /// <summary>Address the HTTP API listens on; loopback by default so nothing is exposed by accident.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>HTTP port (gRPC for a worker); 0 picks a free one.</summary>
    public int Port { get; init; } = 7700;

    /// <summary>Which parts this process runs: serve (all), coordinator (HTTP API), or worker (shard replicas over gRPC).</summary>
    public NodeRole Role { get; init; } = NodeRole.Serve;

    /// <summary>PostgreSQL connection string of the cluster store; empty means the embedded SQLite store in <see cref="DataDir"/>.</summary>
    public string? Store { get; init; }

    /// <summary>The address other nodes reach this one at (default http://Host:Port); it is also the node id (embedded: "local").</summary>
    public string? Advertise { get; init; }

    /// <summary>How long this node's lease in the store lasts; it renews every third of it.</summary>
    public TimeSpan NodeLease { get; init; } = TimeSpan.FromSeconds(6);

    /// <summary>A serve node over PostgreSQL answers other coordinators' shard queries (gRPC, HTTP/2 only) on this port;
    /// default the HTTP port + 1. Cleartext HTTP/1.1 and HTTP/2 cannot share one port.</summary>
    public int? GrpcPort { get; init; }

    /// <summary>
    /// A StackExchange.Redis configuration string (env <c>Mosaic__Redis</c>), e.g. <c>127.0.0.1:6379</c> or several
    /// cluster nodes; empty means no Redis: caches and rate limits stay in this process.
    /// </summary>
    public string? Redis { get; init; }

    /// <summary>
    /// A worker's HTTP/1.1 port for /metrics (its main port speaks HTTP/2 only, which Prometheus cannot scrape). Default:
    /// <see cref="Port"/> + <see cref="MetricsPortOffset"/>, or a free port when <see cref="Port"/> is 0. Other roles serve
    /// /metrics on their main port and ignore this.
    /// </summary>
    public int? MetricsPort { get; init; }

    /// <summary>How far above <see cref="Port"/> a worker's default metrics port is (7711 → 8711): an offset of 1 would
    /// collide with the next worker on one host, since workers usually take consecutive ports.</summary>
    public const int MetricsPortOffset = 1000;

    /// <summary>The port a worker serves /metrics on (see <see cref="MetricsPort"/>).</summary>
    public int EffectiveMetricsPort => MetricsPort ?? (Port == 0 ? 0 : Port + MetricsPortOffset);

    public bool Embedded => string.IsNullOrWhiteSpace(Store);

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(DataDir))
        {
            yield return "Mosaic:DataDir must name a directory";
        }

        if (Port is < 0 or > 65535)
        {
            yield return $"Mosaic:Port must be within 0..65535, got {Port}";
        }

        if (Embedded && Role != NodeRole.Serve)
        {
            yield return $"Mosaic:Store (--store) is required for the {Role.ToString().ToLowerInvariant()} role: give a PostgreSQL connection string";
        }

        if (!Embedded && global::Mosaic.Store.Postgres.PostgresStoreOptions.Problem(Store!) is { } storeError)
        {
            yield return $"Mosaic:Store (--store) is not a valid PostgreSQL connection string: {storeError}";
        }

        if (Advertise is not null && !Uri.TryCreate(Advertise.Contains("://", StringComparison.Ordinal) ? Advertise : "http://" + Advertise, UriKind.Absolute, out _))
        {
            yield return $"Mosaic:Advertise must be host:port or a URL, got '{Advertise}'";
        }

        if (Role == NodeRole.Worker && (EffectiveMetricsPort is < 0 or > 65535 || (EffectiveMetricsPort == Port && Port != 0)))
        {
            yield return $"Mosaic:MetricsPort must be within 0..65535 and differ from Mosaic:Port, got {EffectiveMetricsPort}";
        }

        if (NodeLease < TimeSpan.FromSeconds(1))
        {
            yield return "Mosaic:NodeLease must be at least 1 second";
        }

        if (!string.IsNullOrWhiteSpace(Redis) && RedisError(Redis) is { } redisError)
        {
            yield return $"Mosaic:Redis is not a valid StackExchange.Redis configuration string: {redisError}";
        }

        if (!System.Net.IPAddress.TryParse(Host, out _) && Host != "localhost")
        {
            yield return $"Mosaic:Host must be an IP address or localhost, got '{Host}'";
        }
    }

    private static string? RedisError(string configuration)
    {
        try
        {
            return StackExchange.Redis.ConfigurationOptions.Parse(configuration).EndPoints.Count == 0 ? "it names no endpoint" : null;
        }
        catch (ArgumentException ex)
        {
            return ex.Message;
        }
    }
}
