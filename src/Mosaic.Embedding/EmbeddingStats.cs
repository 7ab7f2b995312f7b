namespace Mosaic.Embedding;

/// <summary>Counters of one process's embedding work: what the caches answered and what the model ran.</summary>
/// <remarks>Monotonic since start; readers take differences. One instance per process, shared by cache and model.</remarks>
public sealed class EmbeddingStats
{
    private long _l1Hits, _l2Hits, _misses, _modelTexts, _modelRuns, _modelTokens, _remoteCalls, _remoteFailures;

    public long L1Hits => Volatile.Read(ref _l1Hits);

    public long L2Hits => Volatile.Read(ref _l2Hits);

    /// <summary>Texts no cache held, handed to the embedder behind the cache (model, embedder node or endpoint).</summary>
    public long Misses => Volatile.Read(ref _misses);

    /// <summary>Texts this process ran through its own model.</summary>
    public long ModelTexts => Volatile.Read(ref _modelTexts);

    /// <summary>Model runs (batches) in this process; <see cref="ModelTexts"/> / runs is the mean batch size.</summary>
    public long ModelRuns => Volatile.Read(ref _modelRuns);

    public long ModelTokens => Volatile.Read(ref _modelTokens);

    /// <summary>Calls to embedder nodes or an OpenAI-compatible endpoint, and how many of them failed (then retried elsewhere).</summary>
    public long RemoteCalls => Volatile.Read(ref _remoteCalls);

    public long RemoteFailures => Volatile.Read(ref _remoteFailures);

    internal void CacheHits(int l1, int l2)
    {
        Interlocked.Add(ref _l1Hits, l1);
        Interlocked.Add(ref _l2Hits, l2);
    }

    internal void CacheMisses(int texts) => Interlocked.Add(ref _misses, texts);

    internal void ModelRun(int texts, int tokens)
    {
        Interlocked.Increment(ref _modelRuns);
        Interlocked.Add(ref _modelTexts, texts);
        Interlocked.Add(ref _modelTokens, tokens);
    }

    internal void RemoteCall(bool failed)
    {
        Interlocked.Increment(ref _remoteCalls);
        if (failed)
        {
            Interlocked.Increment(ref _remoteFailures);
        }
    }
}
