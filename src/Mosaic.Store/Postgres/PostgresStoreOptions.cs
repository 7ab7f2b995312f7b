namespace Mosaic.Store.Postgres;

/// <summary>How to reach the cluster store: an Npgsql connection string (Host=…;Port=…;Username=…;Database=…).</summary>
public sealed record PostgresStoreOptions(string ConnectionString);
