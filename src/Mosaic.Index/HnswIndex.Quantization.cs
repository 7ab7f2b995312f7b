using System.Runtime.InteropServices;
using Mosaic.Core.Collections;
using Mosaic.Index.Graph;
using Mosaic.Index.Quantization;

namespace Mosaic.Index;

/// <summary>Quantized graphs: learning the bounds, the float buffer before that, and rescoring on full-precision vectors.</summary>
/// <remarks>
/// <para>Bounds are learned from the first <see cref="TrainingSize"/> vectors (or the first AddParallel batch that
/// reaches it). Until then the vectors stay as floats in <c>_pending</c> and searches are exact over them; then the
/// codec is trained on all of them, they are inserted as codes and the float copies are dropped. Later vectors
/// outside the learned range are clamped; rescoring keeps the final order exact anyway.</para>
/// <para>Rescoring: int8 rescores the best <see cref="RescoreWindow"/> candidates of the walk (1.5k, at least k+5);
/// binary, whose order is coarser, walks a pool of ef and rescores its best max(<see cref="BinaryOversampling"/>·k,
/// ef/4), so ef is the oversampling knob; candidates whose error bound rules them out are not read (see
/// <c>Rescore</c>).</para>
/// </remarks>
public sealed unsafe partial class HnswIndex
{
    /// <summary>Vectors a quantized index collects (as floats, searched exactly) before it learns its bounds.</summary>
    internal const int TrainingSize = 256;

    /// <summary>A binary search rescores at least this many times k of its best candidates on full-precision vectors.</summary>
    public const int BinaryOversampling = 4;

    private readonly DistanceKind _kind;
    private QuantizationCodec? _codec;

    // Quantized and not trained yet: label -> vector (normalized for cosine). Null once trained and for float indexes.
    private Dictionary<long, float[]>? _pending;

    private enum DistanceKind
    {
        FloatL2,
        FloatDot,
        Int8L2,
        Int8Dot,
        Binary,
    }

    private int PendingCount
    {
        get
        {
            lock (_labelLock)
            {
                return _pending?.Count ?? 0;
            }
        }
    }

    private long PendingBytes => (long)PendingCount * ((_dimension * sizeof(float)) + 64);

    private static DistanceKind KindOf(VectorQuantization quantization, VectorMetric metric) => quantization switch
    {
        VectorQuantization.Float => metric == VectorMetric.L2 ? DistanceKind.FloatL2 : DistanceKind.FloatDot,
        VectorQuantization.Int8 => metric == VectorMetric.L2 ? DistanceKind.Int8L2 : DistanceKind.Int8Dot,
        _ => DistanceKind.Binary,
    };

    /// <summary>How many of the walk's best candidates a quantized search rescores for k results.</summary>
    /// <remarks>
    /// Binary: the walk's pool of <paramref name="ef"/> is the oversampling (raise ef for recall), of which the best
    /// <see cref="BinaryOversampling"/>·k, or ef/4 when that is more, are rescored. Rescoring reads each candidate's
    /// floats from the source (a shard file row in the server), so it is capped below the pool; at 10k x 384 the
    /// best 4k of a pool of 64 kept recall@10 at 0.97 against 0.98 for the whole pool. Each rescored row costs
    /// about five walk distances (1.5 KB of floats at 384-d against an 80-byte code), but 3k was too few where
    /// clusters are tight (600 x 384 in 12 clusters through HTTP: recall@10 0.86; their codes barely differ).
    /// int8: k + k/2 rows (at least k + 5) gave recall@10 equal to 2k's (and 4k's) at every ef on 1M and 100k x 128 ip,
    /// 20k x 128 l2, 10k x 384 ip and fashion-mnist (784-d l2), where k alone lost up to 0.016; each row is a shard-file
    /// read in the server and 8-9 cache misses in memory (at 1M x 128 the 20 rows of 2k were a tenth of a query).
    /// </remarks>
    private int RescoreWindow(int k, int ef) => Quantization == VectorQuantization.Binary
        ? Math.Max(BinaryOversampling * k, ef / 4)
        : k + Math.Max(k / 2, 5);

    /// <summary>While untrained, buffers the vector and trains once enough arrived; false when the index is float or trained.</summary>
    private bool AddPending(long label, ReadOnlySpan<float> vector)
    {
        if (_pending is null)
        {
            return false;
        }

        AddPendingOnly(label, vector);
        if (PendingCount >= TrainingSize)
        {
            TrainAndInsertPending(1);
        }

        return true;
    }

    private void AddPendingOnly(long label, ReadOnlySpan<float> vector)
    {
        float[] copy = vector.ToArray();
        if (Metric == VectorMetric.Cosine)
        {
            fixed (float* c = copy)
            {
                Normalize(c, _dimension);
            }
        }

        lock (_labelLock)
        {
            _pending![label] = copy;
        }
    }

    private bool RemovePending(long label)
    {
        lock (_labelLock)
        {
            return _pending is not null && _pending.Remove(label);
        }
    }

    /// <summary>Learns the bounds from the buffered vectors, inserts them as codes, then drops the buffer (readers switch to the graph at that moment).</summary>
    private void TrainAndInsertPending(int threads)
    {
        long[] labels;
        float[] rows;
        lock (_labelLock)
        {
            labels = [.. _pending!.Keys];
            rows = new float[labels.Length * _dimension];
            for (int i = 0; i < labels.Length; i++)
            {
                _pending[labels[i]].CopyTo(rows, i * _dimension);
            }
        }

        _codec = QuantizationCodec.Train(Quantization, Metric, _dimension, rows, labels.Length);
        InsertBatch(labels, rows, threads);
        lock (_labelLock)
        {
            _pending = null;
        }
    }

    /// <summary>Exact search over the float buffer of an untrained index; false when there is none.</summary>
    private bool SearchPending(float* q, int k, ReadOnlySpan<long> onlyLabels, ILabelFilter? filter, Span<VectorHit> results, out int found)
    {
        found = 0;
        if (_pending is null)
        {
            return false;
        }

        var hits = new List<(float Distance, long Label)>();
        lock (_labelLock)
        {
            if (_pending is null)
            {
                return false;
            }

            void Consider(long label, float[] v)
            {
                if (filter is null || filter.Allows(label))
                {
                    fixed (float* p = v)
                    {
                        hits.Add((FloatDistance(q, p, _dimension), label));
                    }
                }
            }

            if (onlyLabels.IsEmpty)
            {
                foreach (var (label, v) in _pending)
                {
                    Consider(label, v);
                }
            }
            else
            {
                foreach (long label in onlyLabels)
                {
                    if (_pending.TryGetValue(label, out var v))
                    {
                        Consider(label, v);
                    }
                }
            }
        }

        hits.Sort((a, b) => a.Distance.CompareTo(b.Distance));
        found = Math.Min(k, hits.Count);
        for (int i = 0; i < found; i++)
        {
            results[i] = new VectorHit(hits[i].Label, ToScore(hits[i].Distance));
        }

        return true;
    }

    /// <summary>The query in the graph's representation: the padded floats themselves, or its code in a scratch buffer.</summary>
    private byte* EncodeQuery(float* q, SearchScratch scratch, out float factor)
    {
        if (_codec is null)
        {
            factor = 1f;
            return (byte*)q;
        }

        if (Quantization == VectorQuantization.Binary)
        {
            // Scores without rescoring are not distances (only their order within one query means something).
            byte* planes = scratch.QueryCode(QuantizationCodec.BinaryQueryBytes(_dimension));
            _codec.EncodeBinaryQuery(q, planes);
            factor = 1f;
            return planes;
        }

        byte* code = scratch.QueryCode(_vectorBytes);
        factor = _codec.EncodeQuery(q, code);
        return code;
    }

    private void WritePending(Storage.HashingWriter w)
    {
        var pending = _pending ?? [];
        w.WriteInt32(pending.Count);
        foreach (var (label, v) in pending)
        {
            w.WriteInt64(label);
            w.WriteBytes(MemoryMarshal.AsBytes(v.AsSpan()));
        }
    }

    private void ReadPending(Storage.HashingReader r) => ApplyPending(ReadPendingRows(r, _dimension));

    private static List<(long Label, float[] Vector)> ReadPendingRows(Storage.HashingReader r, int dimension)
    {
        int count = r.ReadInt32();
        Check(count >= 0 && count <= TrainingSize, "buffered vectors");
        var rows = new List<(long, float[])>(count);
        for (int i = 0; i < count; i++)
        {
            long label = r.ReadInt64();
            var v = new float[dimension];
            r.ReadBytes(MemoryMarshal.AsBytes(v.AsSpan()));
            Check(label >= 0, "buffered vector label");
            rows.Add((label, v));
        }

        return rows;
    }

    /// <summary>Puts vectors read from a file into the buffer of an untrained index (which has no nodes then).</summary>
    private void ApplyPending(List<(long Label, float[] Vector)> rows)
    {
        Check(rows.Count == 0 || (_nodeCount == 0 && _pending is not null), "buffered vectors");
        foreach (var (label, v) in rows)
        {
            Check(_pending!.TryAdd(label, v), "buffered vector label");
        }
    }
}
