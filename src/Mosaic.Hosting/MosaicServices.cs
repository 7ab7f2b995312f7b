using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Caching.Hybrid;
using Mosaic.Coordinator;
using Mosaic.Coordinator.Caching;
using Mosaic.Coordinator.Placement;
using Mosaic.Coordinator.Reads;
using Mosaic.Coordinator.Remote;
using Mosaic.Coordinator.Writes;
using Mosaic.Core.Changes;
using Mosaic.Core.Placement;
using Mosaic.Core.Seams;
using Mosaic.Hosting.Cluster;
using Mosaic.Store.Postgres;
using Mosaic.Store.Sqlite;
using Mosaic.Worker.Node;
using Mosaic.Worker.Placement;

namespace Mosaic.Hosting;

/// <summary>Registrations of each part; <see cref="MosaicApp"/> picks which ones a role gets. TryAdd so tests and hosts can override.</summary>
public static class MosaicServices
{
    /// <summary>The embedded SQLite store behind the catalog, document-store and change-log seams.</summary>
    /// <param name="idempotencyRetention">How long idempotency keys answer (default 24 h).</param>
    public static IServiceCollection AddMosaicSqliteStore(this IServiceCollection services, string path, TimeSpan? idempotencyRetention = null)
    {
        services.TryAddSingleton<ChangeSignal>();
        services.TryAddSingleton(TimeProvider.System);
        var options = new SqliteStoreOptions(path);
        options = idempotencyRetention is { } retention ? options with { IdempotencyRetention = retention } : options;
        services.TryAddSingleton(sp => new SqliteStore(options, sp.GetRequiredService<ChangeSignal>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<ICollectionCatalog>(sp => sp.GetRequiredService<SqliteStore>());
        services.TryAddSingleton<IDocumentStore>(sp => sp.GetRequiredService<SqliteStore>());
        services.TryAddSingleton<IIdempotencyStore>(sp => sp.GetRequiredService<SqliteStore>());
        services.TryAddSingleton<IApiKeyStore>(sp => sp.GetRequiredService<SqliteStore>());
        services.TryAddSingleton<IChangeLog>(sp => sp.GetRequiredService<SqliteStore>());
        services.TryAddSingleton<INodeRegistry>(sp => sp.GetRequiredService<SqliteStore>());
        services.TryAddSingleton<IPlacementStore>(sp => sp.GetRequiredService<SqliteStore>());
        services.TryAddSingleton<IShardMapStore>(sp => sp.GetRequiredService<SqliteStore>());
        return services;
    }

    /// <summary>The cluster store on PostgreSQL: every store seam, node leases and placement included.</summary>
    /// <param name="idempotencyRetention">How long idempotency keys answer (default 24 h).</param>
    public static IServiceCollection AddMosaicPostgresStore(this IServiceCollection services, string connectionString, TimeSpan? idempotencyRetention = null)
    {
        services.TryAddSingleton<ChangeSignal>();
        var options = new PostgresStoreOptions(connectionString);
        options = idempotencyRetention is { } retention ? options with { IdempotencyRetention = retention } : options;
        services.TryAddSingleton(sp => new PostgresStore(options, sp.GetRequiredService<ChangeSignal>(), sp.GetRequiredService<ILogger<PostgresStore>>()));
        services.TryAddSingleton<ICollectionCatalog>(sp => sp.GetRequiredService<PostgresStore>());
        services.TryAddSingleton<IDocumentStore>(sp => sp.GetRequiredService<PostgresStore>());
        services.TryAddSingleton<IIdempotencyStore>(sp => sp.GetRequiredService<PostgresStore>());
        services.TryAddSingleton<IApiKeyStore>(sp => sp.GetRequiredService<PostgresStore>());
        services.TryAddSingleton<IChangeLog>(sp => sp.GetRequiredService<PostgresStore>());
        services.TryAddSingleton<INodeRegistry>(sp => sp.GetRequiredService<PostgresStore>());
        services.TryAddSingleton<IPlacementStore>(sp => sp.GetRequiredService<PostgresStore>());
        services.TryAddSingleton<IShardMapStore>(sp => sp.GetRequiredService<PostgresStore>());
        return services;
    }

    /// <summary>The worker role: holds the replicas <paramref name="plan"/> assigns to this node.</summary>
    public static IServiceCollection AddMosaicWorker(this IServiceCollection services, Func<IServiceProvider, IReplicaPlan> plan)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ChangeSignal>();
        services.TryAddSingleton(plan);
        services.TryAddSingleton<WorkerNode>();
        services.TryAddSingleton<DataDisk>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<WorkerNode>());
        services.TryAddSingleton<IIndexBacklog>(sp => sp.GetRequiredService<WorkerNode>());
        return services;
    }

    /// <summary>The coordinator role: write path and read path over whichever <see cref="IShardRouter"/> is registered.</summary>
    public static IServiceCollection AddMosaicCoordinator(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ReplicaSelector>();
        services.TryAddSingleton<ShardLatencyTracker>();
        services.TryAddSingleton<WritePath>();
        services.TryAddSingleton<KnownSlotHeads>();
        services.TryAddSingleton<ReadPath>();
        services.TryAddSingleton<CollectionVersions>();
        services.TryAddSingleton<CachedReadPath>();
        services.TryAddSingleton<IHybridCacheSerializer<CachedAnswer>, CachedAnswerSerializer>();
        services.AddHostedService<IdempotencySweeper>();
        return services;
    }

    /// <summary>Routing from the store's catalog, shard maps and placement (embedded and cluster alike), and the placement
    /// leader election.</summary>
    /// <param name="localReplica">Finds a replica held by this very process (serve over PostgreSQL), else null.</param>
    public static IServiceCollection AddMosaicClusterRouting(this IServiceCollection services, string nodeId, Func<IServiceProvider, Func<long, int, string, IShardClient?>>? localReplica = null)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new ClusterRouter(
            sp.GetRequiredService<ICollectionCatalog>(), sp.GetRequiredService<IPlacementStore>(), sp.GetRequiredService<INodeRegistry>(), sp.GetRequiredService<ChangeSignal>(),
            sp.GetRequiredService<IOptions<CoordinatorOptions>>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ClusterRouter>>(),
            localReplica?.Invoke(sp)));
        services.TryAddSingleton<IShardRouter>(sp => sp.GetRequiredService<ClusterRouter>());
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<ClusterRouter>());
        services.TryAddSingleton(sp => new PlacementLeader(
            sp.GetRequiredService<ICollectionCatalog>(), sp.GetRequiredService<INodeRegistry>(), sp.GetRequiredService<IPlacementStore>(),
            sp.GetRequiredService<IShardMapStore>(), sp.GetRequiredService<IChangeLog>(), sp.GetRequiredService<ChangeSignal>(), sp.GetRequiredService<IOptions<PlacementOptions>>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<PlacementLeader>>(), nodeId));
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<PlacementLeader>());
        services.TryAddSingleton<IClusterStatus, StoreClusterStatus>();
        services.TryAddSingleton<ClusterAdmin>();
        return services;
    }

    /// <summary>Registers this node in the store and keeps its lease; registered first so it starts before the parts that need it.</summary>
    /// <remarks>A node with a worker (<see cref="DataDisk"/> registered) reports its data disk with every renewal.</remarks>
    /// <param name="serves">Which requests this node answers as a coordinator (the gateway routes by it).</param>
    /// <param name="shardAddress">Where its replicas answer gRPC when not at <paramref name="address"/>.</param>
    public static IServiceCollection AddMosaicNodeLease(this IServiceCollection services, string nodeId, NodeRole role, string address, TimeSpan lease, Serves serves = Serves.Both, string? shardAddress = null) =>
        services.AddSingleton<IHostedService>(sp => new NodeLeaseService(
            sp.GetRequiredService<INodeRegistry>(), new NodeLeaseService.Registration(nodeId, role, address, shardAddress, serves, sp.GetService<DataDisk>() is { } disk ? disk.Measure : null),
            lease, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<NodeLeaseService>>()));
}
