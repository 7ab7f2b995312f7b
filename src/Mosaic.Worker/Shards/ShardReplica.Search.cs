using System.Buffers;
using Mosaic.Core.Errors;
using Mosaic.Core.Search;
using Mosaic.Core.Placement;
using Mosaic.Index;

namespace Mosaic.Worker.Shards;

public sealed partial class ShardReplica
{
    public async Task<ShardSearchResult> SearchAsync(ShardSearchRequest request, CancellationToken ct)
    {
        bool behind = await WaitUntilServingAsync(request, ct).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        Interlocked.Increment(ref _searchCount);
        // The graph lives in native memory: a search must never run on a disposed index (see Close).
        Interlocked.Increment(ref _searchesInFlight);
        try
        {
            if (_closed)
            {
                throw new ShardUnavailableException($"shard {Shard} of '{Collection.Name}' was closed");
            }

            var filter = request.Filter is null ? null : RowFilter.Compile(_rows, request.Filter);
            // A pooled reader is only taken when the query needs the file (keyword, payloads asked of this shard, or
            // the float vectors that rescore a quantized graph's candidates).
            ShardReader? reader = null;
            try
            {
                var vectorHits = request.Mode != SearchMode.Keyword && request.Vector is not null && _index is not null
                    ? VectorSearch(_index, ref reader, request.Vector, request.TopK, request.EfSearch ?? Collection.Spec.Hnsw.EfSearch, filter)
                    : [];
                ct.ThrowIfCancellationRequested();
                var keywordHits = request.Mode != SearchMode.Vector && !string.IsNullOrWhiteSpace(request.Query)
                    ? KeywordSearch(request.Query, request.KeywordStats, request.TopK, filter)
                    : [];
                return new ShardSearchResult(ToDocs(ref reader, vectorHits, request), ToDocs(ref reader, keywordHits, request)) { Behind = behind };
            }
            finally
            {
                if (reader is not null)
                {
                    _file.Return(reader);
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref _searchesInFlight);
        }
    }

    /// <summary>Waits for the replica to open and to apply the request's read-your-writes seqs; throws if it cannot serve.</summary>
    /// <returns>True when it is to answer without the seqs, as <see cref="ShardSearchRequest.AfterWait"/> allows.</returns>
    private async Task<bool> WaitUntilServingAsync(ShardSearchRequest request, CancellationToken ct)
    {
        if (State == ReplicaState.Building)
        {
            // Opening takes milliseconds for a new shard and seconds for a big rebuild: wait within the deadline.
            await _serving.Task.WaitAsync(ct).ConfigureAwait(false);
        }

        if (State != ReplicaState.Serving)
        {
            throw new ShardUnavailableException($"shard {Shard} of '{Collection.Name}' is {State.ToString().ToLowerInvariant()}");
        }

        if (request.AfterSeqs is not { Count: > 0 } after)
        {
            return false;
        }

        if (request.AfterWait is { } limit)
        {
            return !await TryWaitForAsync(after, limit, ct).ConfigureAwait(false);
        }

        await WaitForAsync(after, ct).ConfigureAwait(false);
        return false;
    }

    private List<VectorHit> VectorSearch(HnswIndex index, ref ShardReader? reader, float[] query, int k, int ef, RowFilter? filter)
    {
        if (index.Quantization == Core.Collections.VectorQuantization.Float)
        {
            return VectorSearch(index, query, k, ef, filter, null);
        }

        // A quantized graph rescores its candidates on the float vectors of the shard file.
        var source = (reader ??= _file.Rent()).Vectors;
        source.ReadTogether();
        try
        {
            return VectorSearch(index, query, k, ef, filter, source);
        }
        finally
        {
            source.ReadApart();
        }
    }

    private List<VectorHit> VectorSearch(HnswIndex index, float[] query, int k, int ef, RowFilter? filter, IVectorSource? source)
    {
        var buffer = ArrayPool<VectorHit>.Shared.Rent(k);
        try
        {
            int found;
            if (filter is null)
            {
                found = index.Search(query, k, Math.Max(ef, k), buffer.AsSpan(0, k), null, source);
            }
            else
            {
                int exactLimit = (int)Math.Max(1000, _options.ExactScanFloats / Math.Max(1, index.Dimension));
                var allowed = filter.AllowedRows(stopAfter: exactLimit + 1, checkEach: false);
                if (allowed.Count <= exactLimit)
                {
                    found = index.ExactSearch(query, k, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(allowed), buffer.AsSpan(0, k), source);
                    if (!filter.AllowsAll(buffer.AsSpan(0, found)))
                    {
                        // A row changed while its indexes were read: answer from rows checked one by one.
                        allowed = filter.AllowedRows(stopAfter: int.MaxValue);
                        found = index.ExactSearch(query, k, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(allowed), buffer.AsSpan(0, k), source);
                    }
                }
                else
                {
                    // The allowed set is large, so a filtered graph walk finds k; if it does not, fall back to exact.
                    found = index.Search(query, k, Math.Max(ef, k) * 2, buffer.AsSpan(0, k), filter, source);
                    if (found < k)
                    {
                        var all = filter.AllowedRows(int.MaxValue);
                        found = index.ExactSearch(query, k, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(all), buffer.AsSpan(0, k), source);
                    }
                }
            }

            var hits = new List<VectorHit>(found);
            hits.AddRange(buffer.AsSpan(0, found));
            return hits;
        }
        finally
        {
            ArrayPool<VectorHit>.Shared.Return(buffer);
        }
    }

    /// <summary>Hits as (id, score); with payload only when the caller asked this shard for it (the coordinator fetches after the merge).</summary>
    private List<ScoredDoc> ToDocs(ref ShardReader? reader, List<VectorHit> hits, ShardSearchRequest request)
    {
        var docs = new List<ScoredDoc>(hits.Count);
        foreach (var hit in hits)
        {
            if (_rows.IdOf(hit.Label) is { } id)
            {
                // The row rides along so that the payload fetch reads it without looking the id up.
                docs.Add(new ScoredDoc(id, hit.Score) { Row = hit.Label });
            }
        }

        if (docs.Count == 0 || !(request.IncludeText || request.IncludeFields || request.IncludeVector))
        {
            return docs;
        }

        var payloads = (reader ??= _file.Rent())
            .Fetch(docs.ConvertAll(d => d.Id), docs.ConvertAll(d => d.Row), request.IncludeText, request.IncludeFields, request.IncludeVector)
            .ToDictionary(p => p.Id, StringComparer.Ordinal);
        var withPayload = new List<ScoredDoc>(docs.Count);
        foreach (var doc in docs)
        {
            if (payloads.TryGetValue(doc.Id, out var p))
            {
                withPayload.Add(doc with { Text = p.Text, FieldsJson = p.FieldsJson, Vector = p.Vector });
            }
        }

        return withPayload;
    }
}
