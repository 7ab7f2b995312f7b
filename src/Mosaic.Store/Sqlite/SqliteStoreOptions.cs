namespace Mosaic.Store.Sqlite;

/// <summary>Where the embedded store keeps its file.</summary>
public sealed record SqliteStoreOptions(string Path);
