using Xunit;

namespace Mosaic.ClusterTests.Store;

/// <summary>The store tests share one PostgreSQL server and run one at a time (two cores; several start many connections).</summary>
[CollectionDefinition(Name)]
public sealed class StoreCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres-store";
}
