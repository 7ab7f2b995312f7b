namespace Mosaic.Core.Seams;

/// <summary>How far the shard replicas held in this process are behind the change log, for writes to wait on.</summary>
/// <remarks>
/// A write is acknowledged once the store has it, but it is searchable only when its shard has applied it. Without a
/// bound, a fast writer can get ahead of indexing by minutes (the HNSW insert is the slowest step); the write path waits
/// here first so that what was acknowledged becomes searchable within about the bound (back-pressure, as Elasticsearch
/// throttles indexing when merges fall behind).
/// </remarks>
public interface IIndexBacklog
{
    /// <summary>Returns once the collection's replicas held here are within the configured backlog, or after the configured
    /// longest wait (a write is never refused for it).</summary>
    ValueTask WaitForRoomAsync(long collectionId, CancellationToken ct);
}
