using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Mosaic.Coordinator.Reads;
using Mosaic.Coordinator.Writes;
using Mosaic.Core.Changes;
using Mosaic.Core.Seams;
using Mosaic.Store.Sqlite;
using Mosaic.Worker.Node;

namespace Mosaic.Hosting;

/// <summary>Registrations of each part; the host picks which ones a role gets. TryAdd so tests and hosts can override.</summary>
public static class MosaicServices
{
    /// <summary>The embedded SQLite store behind the catalog, document-store and change-log seams.</summary>
    public static IServiceCollection AddMosaicSqliteStore(this IServiceCollection services, string path)
    {
        services.TryAddSingleton<ChangeSignal>();
        services.TryAddSingleton(sp => new SqliteStore(new SqliteStoreOptions(path), sp.GetRequiredService<ChangeSignal>()));
        services.TryAddSingleton<ICollectionCatalog>(sp => sp.GetRequiredService<SqliteStore>());
        services.TryAddSingleton<IDocumentStore>(sp => sp.GetRequiredService<SqliteStore>());
        services.TryAddSingleton<IChangeLog>(sp => sp.GetRequiredService<SqliteStore>());
        return services;
    }

    /// <summary>The worker role with every shard held in this process, routed in-process.</summary>
    public static IServiceCollection AddMosaicLocalWorker(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ChangeSignal>();
        services.TryAddSingleton<WorkerNode>();
        services.TryAddSingleton<IShardRouter>(sp => sp.GetRequiredService<WorkerNode>());
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<WorkerNode>());
        return services;
    }

    /// <summary>The coordinator role: write path and read path.</summary>
    public static IServiceCollection AddMosaicCoordinator(this IServiceCollection services)
    {
        services.TryAddSingleton<ReplicaSelector>();
        services.TryAddSingleton<WritePath>();
        services.TryAddSingleton<ReadPath>();
        return services;
    }
}
