using System.Runtime.InteropServices;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;
using Mosaic.Core.Embedding;
using Mosaic.Core.Seams;

namespace Mosaic.Embedding.Caching;

/// <summary>Answers embeddings from a size-bounded in-process cache (L1), then Redis (L2, when there is one), then the embedder behind.</summary>
/// <remarks>
/// <para>
/// Keys are <see cref="EmbeddingKey"/>s; values are the token count and the float32 vector, little-endian. Texts repeated
/// within one call are embedded once. Misses go to the inner embedder in one call, so they batch together.
/// </para>
/// <para>
/// L2 is an accelerator only: its reads are bounded by the <see cref="IDistributedCache"/> given (Mosaic's is time-bounded
/// with a breaker) and any failure is a miss; its writes are not awaited by the request. Redis being down never fails
/// or stalls an embedding.
/// </para>
/// </remarks>
public sealed partial class CachedEmbedder : IEmbedder, IDisposable
{
    private readonly IEmbedder _inner;
    private readonly EmbeddingStats _stats;
    private readonly IDistributedCache? _l2;
    private readonly DistributedCacheEntryOptions _l2Entry;
    private readonly MemoryCache? _l1;
    private readonly ILogger<CachedEmbedder> _logger;

    public CachedEmbedder(IEmbedder inner, EmbeddingOptions options, EmbeddingStats stats, IDistributedCache? l2, ILogger<CachedEmbedder> logger)
    {
        _inner = inner;
        _stats = stats;
        _l2 = l2;
        _logger = logger;
        _l2Entry = new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = options.CacheExpiration };
        _l1 = options.CacheEntries > 0 ? new MemoryCache(new MemoryCacheOptions { SizeLimit = options.CacheEntries }) : null;
    }

    public async Task<EmbeddingResult> EmbedAsync(string model, IReadOnlyList<string> texts, CancellationToken ct)
    {
        _ = EmbeddingModel.Get(model, "model");
        var keys = texts.Select(t => EmbeddingKey.Of(model, t)).ToArray();
        var found = new Dictionary<string, Entry>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            if (!found.ContainsKey(key) && _l1 is not null && _l1.TryGetValue(key, out Entry? entry) && entry is not null)
            {
                found[key] = entry;
            }
        }

        int l1 = keys.Count(found.ContainsKey), l2 = 0;
        if (_l2 is not null && l1 < keys.Length)
        {
            var lookups = keys.Distinct(StringComparer.Ordinal).Where(k => !found.ContainsKey(k)).Select(async k => (Key: k, Value: await ReadL2Async(k, ct).ConfigureAwait(false))).ToList();
            foreach (var (key, value) in await Task.WhenAll(lookups).ConfigureAwait(false))
            {
                if (value is not null && Decode(value) is { } entry)
                {
                    found[key] = entry;
                    Remember(key, entry);
                }
            }

            l2 = keys.Count(found.ContainsKey) - l1;
        }

        var missing = new List<(string Key, string Text)>();
        var asked = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < keys.Length; i++)
        {
            if (!found.ContainsKey(keys[i]) && asked.Add(keys[i]))
            {
                missing.Add((keys[i], texts[i]));
            }
        }

        _stats.CacheHits(l1, l2);
        _stats.CacheMisses(keys.Length - l1 - l2);
        if (missing.Count > 0)
        {
            var computed = await _inner.EmbedAsync(model, missing.Select(m => m.Text).ToList(), ct).ConfigureAwait(false);
            // The inner embedder reports tokens for the whole call; spread them so cached entries can answer usage later.
            for (int i = 0; i < missing.Count; i++)
            {
                int share = (computed.Tokens / missing.Count) + (i < computed.Tokens % missing.Count ? 1 : 0);
                var entry = new Entry(computed.Vectors[i], share);
                found[missing[i].Key] = entry;
                Remember(missing[i].Key, entry);
                WriteL2(missing[i].Key, entry);
            }
        }

        var vectors = new float[keys.Length][];
        int tokens = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            var entry = found[keys[i]];
            vectors[i] = entry.Vector;
            tokens += entry.Tokens;
        }

        return new EmbeddingResult(vectors, tokens);
    }

    public void Dispose() => _l1?.Dispose();

    private void Remember(string key, Entry entry) => _l1?.Set(key, entry, new MemoryCacheEntryOptions { Size = 1 });

    private async Task<byte[]?> ReadL2Async(string key, CancellationToken ct)
    {
        try
        {
            return await _l2!.GetAsync(key, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            LogL2Failed(_logger, ex.GetType().Name, ex.Message);
            return null;
        }
    }

    private void WriteL2(string key, Entry entry)
    {
        if (_l2 is null)
        {
            return;
        }

        var value = new byte[4 + (entry.Vector.Length * sizeof(float))];
        BitConverter.TryWriteBytes(value.AsSpan(0, 4), entry.Tokens);
        MemoryMarshal.AsBytes(entry.Vector.AsSpan()).CopyTo(value.AsSpan(4));
        _ = Task.Run(async () =>
        {
            try
            {
                await _l2.SetAsync(key, value, _l2Entry).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                LogL2Failed(_logger, ex.GetType().Name, ex.Message);
            }
        });
    }

    private static Entry? Decode(byte[] value)
    {
        if (value.Length < 8 || (value.Length - 4) % sizeof(float) != 0)
        {
            return null;
        }

        return new Entry(MemoryMarshal.Cast<byte, float>(value.AsSpan(4)).ToArray(), BitConverter.ToInt32(value, 0));
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Embedding L2 cache (Redis) call failed ({Error}: {Detail}); treated as a miss")]
    private static partial void LogL2Failed(ILogger logger, string error, string detail);

    private sealed record Entry(float[] Vector, int Tokens);
}
