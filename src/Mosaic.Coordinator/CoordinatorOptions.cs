using Mosaic.Core.Placement;

namespace Mosaic.Coordinator;

/// <summary>Settings of the coordinator role, bound from configuration section "Mosaic:Coordinator".</summary>
public sealed record CoordinatorOptions
{
    /// <summary>Largest accepted document (its JSON as sent); larger ones get 413.</summary>
    public int MaxDocumentBytes { get; init; } = 1 << 20;

    /// <summary>Largest accepted bulk request body.</summary>
    public long MaxBulkBytes { get; init; } = 256L << 20;

    /// <summary>
    /// Most bytes of documents one search or search:batch answers (estimated by <see cref="Reads.AnswerSize"/>); a larger
    /// one is a 400 <c>answer_too_large</c>. 64 MiB: 64 documents at the largest, or top_k 1000 of 64 KB texts; the server
    /// holds about four times it at the peak of one such answer.
    /// </summary>
    public long MaxAnswerBytes { get; init; } = 64L << 20;

    /// <summary>Longest document id in UTF-8 bytes.</summary>
    public int MaxIdBytes { get; init; } = 512;

    /// <summary>Deadline of a search (counted from its arrival) when the request gives no timeout_ms.</summary>
    public TimeSpan DefaultSearchTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Upper bound on a request's timeout_ms (also bounds read-your-writes waits).</summary>
    public TimeSpan MaxSearchTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Ask another replica when the first has not answered after this long; null = the shard's recent p95.</summary>
    public TimeSpan? HedgeDelay { get; init; }

    /// <summary>Lower bound of the p95-derived hedge delay, so a fast shard is not hedged on every request.</summary>
    public TimeSpan MinHedgeDelay { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>How long a search waits for a shard with no serving replica to get one (a collection created a moment ago);
    /// never more than half of what is left of its deadline.</summary>
    public TimeSpan RouteWait { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Which requests this coordinator answers (read | write | both); the others get 421 naming the right kind.</summary>
    public Serves Serves { get; init; } = Serves.Both;

    /// <summary>How long an <c>Idempotency-Key</c> answers its write's first result; after it the key is forgotten and the
    /// same write applies again. 24 h, like the payment APIs that made the header common.</summary>
    public TimeSpan IdempotencyRetention { get; init; } = TimeSpan.FromHours(24);

    /// <summary>How often expired idempotency keys are deleted from the store (expiry itself is exact; this bounds the table).</summary>
    public TimeSpan IdempotencySweepInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// A search whose payloads would cost at most this many rows across its shards (shards × top_k, twice for hybrid) gets
    /// them with the shards' hits in one round (query-and-fetch); a larger one fetches the final hits' payloads in a second
    /// round (query-then-fetch). 0 = always two rounds. The embedded server, whose shards are in-process, defaults to 0.
    /// </summary>
    public int QueryAndFetchMaxRows { get; init; } = DefaultQueryAndFetchMaxRows;

    /// <summary>
    /// 64 rows: up to 6 shards at the default top_k of 10 take one round. With 2 remote shards and top_k 10, one round took
    /// the cluster's CPU per vector search from 1.70-1.74 ms to 1.23-1.28 ms (bench/README.md, "Cluster", 05:28 UTC run).
    /// </summary>
    public const int DefaultQueryAndFetchMaxRows = 64;

    public IEnumerable<string> Validate()
    {
        if (QueryAndFetchMaxRows < 0)
        {
            yield return "Mosaic:Coordinator:QueryAndFetchMaxRows must be 0 or more";
        }

        if (MaxDocumentBytes < 64)
        {
            yield return "Mosaic:Coordinator:MaxDocumentBytes must be at least 64";
        }

        if (MaxBulkBytes < MaxDocumentBytes)
        {
            yield return "Mosaic:Coordinator:MaxBulkBytes must be at least MaxDocumentBytes";
        }

        if (MaxAnswerBytes < MaxDocumentBytes)
        {
            yield return "Mosaic:Coordinator:MaxAnswerBytes must be at least MaxDocumentBytes (an answer must hold one document)";
        }

        if (MaxIdBytes is < 1 or > 4096)
        {
            yield return "Mosaic:Coordinator:MaxIdBytes must be within 1..4096";
        }

        if (HedgeDelay is { } hedge && hedge <= TimeSpan.Zero)
        {
            yield return "Mosaic:Coordinator:HedgeDelay must be positive (or unset for the shard's p95)";
        }

        if (DefaultSearchTimeout <= TimeSpan.Zero || DefaultSearchTimeout > MaxSearchTimeout)
        {
            yield return "Mosaic:Coordinator:DefaultSearchTimeout must be positive and at most MaxSearchTimeout";
        }

        if (IdempotencyRetention <= TimeSpan.Zero || IdempotencySweepInterval <= TimeSpan.Zero)
        {
            yield return "Mosaic:Coordinator:IdempotencyRetention and IdempotencySweepInterval must be positive";
        }

        if (Serves is not (Serves.Read or Serves.Write or Serves.Both))
        {
            yield return $"Mosaic:Coordinator:Serves must be read, write or both, got '{Serves}'";
        }
    }
}
