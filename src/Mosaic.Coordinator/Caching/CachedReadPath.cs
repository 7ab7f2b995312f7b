using Mosaic.Core.Observability;
using System.Security.Cryptography;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mosaic.Coordinator.Reads;
using Mosaic.Core.Consistency;
using Mosaic.Core.Seams;

namespace Mosaic.Coordinator.Caching;

/// <summary>The read path behind a two-tier result cache (L1 in process, L2 Redis through <see cref="HybridCache"/>).</summary>
/// <remarks>
/// <para>
/// Key: collection id + the collection's write version (<see cref="CollectionVersions"/>) + a hash of the normalized
/// request. A write moves the version, so a cached answer is never served after its collection changed (once this
/// coordinator has learned of the write), and writes to other collections leave it alone.
/// </para>
/// <para>
/// An answer is computed for exactly the writes of its version: the fill passes the version's slot heads as its
/// consistency token, so replicas that lag are waited for. Hence a search whose own token is covered by the version may
/// be answered from the cache (read-your-writes holds); a token beyond it forces a fresh version read, and one beyond the
/// store goes to the read path, which rejects it. Partial answers are never cached. Concurrent misses of one key run one
/// computation (HybridCache's stampede protection). Anything the cache cannot decide quickly goes to the read path.
/// </para>
/// <para>
/// Nor are answers larger than the cache's largest entry (<see cref="HybridCacheOptions.MaximumPayloadBytes"/>): given one,
/// HybridCache logs an error with a stack trace per search and then keeps it in L1 anyway, counted as 0 bytes against
/// the L1 bound. Their size is counted (<see cref="CachedAnswerSerializer.SizeOf"/>) and they leave the factory as
/// partial ones do.
/// </para>
/// </remarks>
public sealed partial class CachedReadPath(
    ReadPath reads, IShardRouter router, CollectionVersions versions, HybridCache cache, IOptions<ResultCacheOptions> options,
    IOptions<HybridCacheOptions> cacheOptions, TimeProvider time, ILogger<CachedReadPath> logger, MosaicMetrics metrics)
{
    private static readonly HybridCacheEntryFlags NoFlags = HybridCacheEntryFlags.None;
    private readonly ResultCacheOptions _options = options.Value;
    private readonly ReadPath _reads = reads;
    private readonly long _maxEntryBytes = cacheOptions.Value.MaximumPayloadBytes;
    private readonly HybridCacheEntryOptions _entryOptions = new()
    {
        Expiration = options.Value.Expiration,
        LocalCacheExpiration = options.Value.LocalExpiration,
        Flags = NoFlags,
    };

    /// <summary>Whether answers are cached at all; when not, callers need not build a request key.</summary>
    public bool Enabled => _options.Enabled;

    /// <summary>Answers <paramref name="query"/> from the cache when it may, else from the read path (caching a complete answer).</summary>
    /// <param name="requestKey">
    /// The request in a normal form (everything that shapes the answer, nothing that does not, e.g. the token); null
    /// when it has none, and then the search is not cached.
    /// </param>
    public async Task<SearchAnswer> SearchAsync(string collection, SearchQuery query, byte[]? requestKey, CancellationToken ct)
    {
        if (!_options.Enabled || requestKey is null)
        {
            return await _reads.SearchAsync(collection, query, ct).ConfigureAwait(false);
        }

        long started = time.GetTimestamp();
        // The router's cached catalog: the store stays off the read path.
        var info = await router.FindCollectionAsync(collection, ct).ConfigureAwait(false);
        ConsistencyToken? token = null;
        if (info is null || (query.After is not null && (!ConsistencyToken.TryParse(query.After, out token) || token!.CollectionId != info.Id)))
        {
            // Unknown collection or a bad token: the read path gives the error.
            return await _reads.SearchAsync(collection, query, ct).ConfigureAwait(false);
        }

        CollectionVersion version;
        try
        {
            version = await versions.GetAsync(info.Id, token?.SlotSeqs, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            LogVersionUnknown(logger, collection, ex.Message);
            return await _reads.SearchAsync(collection, query, ct).ConfigureAwait(false);
        }

        if (token is not null && !version.Covers(token.SlotSeqs))
        {
            // Ahead of the store: the read path says why.
            return await _reads.SearchAsync(collection, query, ct).ConfigureAwait(false);
        }

        string key = $"r:{_options.Scope}:{info.Id}:{version.Key}:{Convert.ToHexString(SHA256.HashData(requestKey))}";
        var fill = new Fill(this, collection, query, version);
        CachedAnswer cached;
        try
        {
            cached = await cache.GetOrCreateAsync(key, fill, static (f, c) => f.ComputeAsync(c), _entryOptions, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (UncachedAnswerException uncached)
        {
            return uncached.Answer;
        }

        metrics.RecordCacheLookup("search", hit: !fill.Computed);
        if (fill.Computed)
        {
            return cached.Answer;
        }

        // A hit is a search answered too: it counts with the read path's searches.
        var elapsed = time.GetElapsedTime(started);
        metrics.RecordSearch(collection, "cached", elapsed);
        return cached.Answer with { TookMs = elapsed.TotalMilliseconds, Cached = true };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Result cache bypassed for '{Collection}': its write version could not be read ({Error})")]
    private static partial void LogVersionUnknown(ILogger logger, string collection, string error);

    /// <summary>One miss's computation; <see cref="Computed"/> tells the caller its answer is fresh, not a hit.</summary>
    private sealed class Fill(CachedReadPath owner, string collection, SearchQuery query, CollectionVersion version)
    {
        public bool Computed { get; private set; }

        public async ValueTask<CachedAnswer> ComputeAsync(CancellationToken ct)
        {
            Computed = true;
            // Exactly the version's writes, or not cached: the heads pin the search, so a lagging replica is waited for a
            // while, and one that cannot catch up (a full disk) answers with what it has, for this request only. A reader's
            // own token (which the version covers) stays strict: its writes must be in the answer.
            var exact = version.Heads.Count == 0
                ? query
                : query with { After = new ConsistencyToken(version.CollectionId, version.Heads).Encode(), PinnedByCache = query.After is null };
            var answer = await owner._reads.SearchAsync(collection, exact, ct).ConfigureAwait(false);
            return answer.Partial || answer.Behind || CachedAnswerSerializer.SizeOf(answer) > owner._maxEntryBytes
                ? throw new UncachedAnswerException(answer)
                : new CachedAnswer(answer);
        }
    }

    /// <summary>Carries an answer that must not be stored (partial, behind its version, or too large) out of the cache's
    /// factory, so that it reaches the caller; HybridCache stores nothing for a factory that throws, and logs nothing.</summary>
    private sealed class UncachedAnswerException(SearchAnswer answer) : Exception("answer not cached")
    {
        public SearchAnswer Answer { get; } = answer;
    }
}
