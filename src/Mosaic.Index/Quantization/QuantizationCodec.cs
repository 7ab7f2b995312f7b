using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Mosaic.Core.Collections;
using Mosaic.Index.Storage;

namespace Mosaic.Index.Quantization;

/// <summary>Turns full-precision vectors into the int8 or bit codes a quantized graph stores, with bounds learned from a sample.</summary>
/// <remarks>
/// <para>int8: code = clamp(round((x - centre) / scale), -127, 127) with ONE scale for all dimensions, so the integer
/// distances keep the float order: for L2 the per-dimension centres (midpoint of each dimension's range) cancel in
/// a - b; for dot/cosine the centre is zero and a query is encoded with its own scale (a positive factor that does
/// not change the order). A per-dimension scale would weight every term and rule out the integer kernels.</para>
/// <para>Binary: bit = x &gt; centre, the centre being each dimension's mean, so the Hamming distance tracks the angle
/// between the vectors as seen from the data's centroid. A stored vector is read back as centre ± weight per dimension,
/// the weight being that dimension's mean absolute deviation (the best one-bit reconstruction), so a query (kept at
/// <see cref="QueryBits"/> bits per dimension, as bit planes) scores a code by AND and popcount, with each dimension
/// weighted by its spread: dimensions of small variance no longer count as much as the large ones, which plain
/// Hamming distance cannot tell apart.</para>
/// Codes are zero-padded to whole 64-byte lines; padding is equal in every code, so it adds nothing to a distance.
/// </remarks>
internal sealed unsafe class QuantizationCodec
{
    /// <summary>Bits per dimension of a binary graph's query (bit planes; 4 as in Elasticsearch's BBQ).</summary>
    public const int QueryBits = 4;

    /// <summary>Bytes before the bit planes of a binary query: the offset and step that turn plane sums into scores.</summary>
    public const int QueryHeaderBytes = 64;

    private const int StackFloats = 4096;

    private readonly float[] _centre;
    private readonly float _scale;

    // Binary only: the rotation applied after centring (null in files of version 2: bits are the raw dimensions), and
    // each bit's mean absolute deviation (all ones in files of version 2).
    private readonly HadamardRotation? _rotation;
    private readonly float[]? _weight;

    private QuantizationCodec(VectorQuantization kind, VectorMetric metric, float[] centre, float scale, float[]? weight = null, bool rotate = false)
    {
        Kind = kind;
        Metric = metric;
        _centre = centre;
        _scale = scale;
        _weight = weight;
        _rotation = rotate ? new HadamardRotation(centre.Length) : null;
    }

    public VectorQuantization Kind { get; }

    public VectorMetric Metric { get; }

    public int Dimension => _centre.Length;

    /// <summary>Bits a binary code holds: the rotated coordinates that fit in its padded bytes, or the dimension unrotated.</summary>
    public static int BinaryBits(int dimension, bool rotated) => rotated
        ? Math.Min(new HadamardRotation(dimension).Length, CodeBytes(VectorQuantization.Binary, dimension) * 8)
        : dimension;

    /// <summary>Bytes of one stored code (padded to 64).</summary>
    public static int CodeBytes(VectorQuantization kind, int dimension) => kind switch
    {
        VectorQuantization.Int8 => (dimension + 63) & ~63,
        VectorQuantization.Binary => (((dimension + 7) / 8) + 63) & ~63,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Learns the bounds from <paramref name="count"/> vectors (row-major, already normalized for cosine).</summary>
    public static QuantizationCodec Train(VectorQuantization kind, VectorMetric metric, int dimension, ReadOnlySpan<float> rows, int count)
    {
        var centre = new float[dimension];
        if (count == 0)
        {
            return new QuantizationCodec(kind, metric, centre, 1f, kind == VectorQuantization.Binary ? Ones(BinaryBits(dimension, rotated: true)) : null, rotate: kind == VectorQuantization.Binary);
        }

        if (kind == VectorQuantization.Binary)
        {
            var sum = new double[dimension];
            for (int i = 0; i < count; i++)
            {
                var row = rows.Slice(i * dimension, dimension);
                for (int d = 0; d < dimension; d++)
                {
                    sum[d] += row[d];
                }
            }

            for (int d = 0; d < dimension; d++)
            {
                centre[d] = (float)(sum[d] / count);
            }

            var codec = new QuantizationCodec(kind, metric, centre, 1f, new float[BinaryBits(dimension, rotated: true)], rotate: true);
            codec.LearnWeights(rows, count);
            return codec;
        }

        float halfRange = 0;
        if (metric == VectorMetric.L2)
        {
            var min = new float[dimension];
            var max = new float[dimension];
            rows[..dimension].CopyTo(min);
            rows[..dimension].CopyTo(max);
            for (int i = 1; i < count; i++)
            {
                var row = rows.Slice(i * dimension, dimension);
                for (int d = 0; d < dimension; d++)
                {
                    min[d] = Math.Min(min[d], row[d]);
                    max[d] = Math.Max(max[d], row[d]);
                }
            }

            for (int d = 0; d < dimension; d++)
            {
                centre[d] = (min[d] + max[d]) / 2;
                halfRange = Math.Max(halfRange, (max[d] - min[d]) / 2);
            }
        }
        else
        {
            foreach (float x in rows[..(count * dimension)])
            {
                halfRange = Math.Max(halfRange, Math.Abs(x));
            }
        }

        return new QuantizationCodec(kind, metric, centre, halfRange > 0 ? halfRange / 127f : 1f);
    }

    /// <summary>Encodes a stored vector into <paramref name="code"/> (<see cref="CodeBytes"/> bytes).</summary>
    public void Encode(float* v, byte* code)
    {
        int bytes = CodeBytes(Kind, Dimension);
        new Span<byte>(code, bytes).Clear();
        if (Kind == VectorQuantization.Binary)
        {
            int length = _rotation?.Length ?? Dimension;
            Span<float> buffer = length <= StackFloats ? stackalloc float[length] : new float[length];
            fixed (float* y = buffer)
            {
                Project(v, y, centred: true);
                for (int i = 0; i < _weight!.Length; i++)
                {
                    if (y[i] > 0)
                    {
                        code[i >> 3] |= (byte)(1 << (i & 7));
                    }
                }
            }

            return;
        }

        EncodeInt8(v, (sbyte*)code, 1f / _scale);
    }

    /// <summary>
    /// Encodes a query; for int8 dot products with its own scale, so a query outside the learned range keeps its
    /// resolution. Returns the factor from code distances to float distances (approximate scores without rescoring).
    /// </summary>
    public float EncodeQuery(float* q, byte* code)
    {
        if (Kind == VectorQuantization.Int8 && Metric != VectorMetric.L2)
        {
            float max = 0;
            for (int d = 0; d < _centre.Length; d++)
            {
                max = Math.Max(max, Math.Abs(q[d]));
            }

            new Span<byte>(code, CodeBytes(Kind, Dimension)).Clear();
            float queryScale = max > 0 ? max / 127f : 1f;
            EncodeInt8(q, (sbyte*)code, 1f / queryScale);
            return _scale * queryScale;
        }

        Encode(q, code);
        return Kind == VectorQuantization.Int8 ? _scale * _scale : 1f;
    }

    /// <summary>Bytes of a binary graph's query: <see cref="QueryHeaderBytes"/>, then <see cref="QueryBits"/> planes per code word.</summary>
    public static int BinaryQueryBytes(int dimension) => QueryHeaderBytes + (QueryBits * CodeBytes(VectorQuantization.Binary, dimension));

    /// <summary>
    /// Encodes the query of a binary graph (<see cref="BinaryQueryBytes"/> bytes): per dimension the query's term
    /// t = weight · (q - centre) for L2 (the terms of ‖q - x‖² that depend on x's bits) or weight · q for dot products,
    /// rounded to <see cref="QueryBits"/> bits between the query's own min and max; plane j of word w holds bit j of
    /// the 64 levels; the header holds min and step, so Σ over set bits of t ≈ min · ones + step · Σ 2^j popcount(plane j AND bits)
    /// (<see cref="Kernels.QuantizedKernels.BitPlaneSum"/>).
    /// </summary>
    public void EncodeBinaryQuery(float* q, byte* buffer)
    {
        int length = _rotation?.Length ?? Dimension;
        int bits = _weight!.Length;
        Span<float> projected = length <= StackFloats ? stackalloc float[length] : new float[length];
        Span<byte> levels = stackalloc byte[64];
        fixed (float* t = projected)
        {
            Project(q, t, centred: Metric == VectorMetric.L2);
            float min = float.MaxValue, max = float.MinValue;
            for (int i = 0; i < bits; i++)
            {
                t[i] *= _weight[i];
                min = Math.Min(min, t[i]);
                max = Math.Max(max, t[i]);
            }

            const int Levels = (1 << QueryBits) - 1;
            float step = max > min ? (max - min) / Levels : 1f;
            float inverse = 1f / step;
            new Span<byte>(buffer, BinaryQueryBytes(Dimension)).Clear();
            ((float*)buffer)[0] = min;
            ((float*)buffer)[1] = step;
            ulong* planes = (ulong*)(buffer + QueryHeaderBytes);
            for (int start = 0; start < bits; start += 64)
            {
                // 64 levels, then bit j of each into plane j of this word.
                int n = Math.Min(64, bits - start);
                levels.Clear();
                for (int i = 0; i < n; i++)
                {
                    levels[i] = (byte)Math.Min((int)(((t[start + i] - min) * inverse) + 0.5f), Levels);
                }

                // Bit j of every level, moved to each byte's top bit and gathered into one word.
                ulong* word = planes + ((start >> 6) * QueryBits);
                var all = Vector512.Create<byte>(levels);
                for (int j = 0; j < QueryBits; j++)
                {
                    word[j] = Vector512.ShiftLeft(all, 7 - j).ExtractMostSignificantBits();
                }
            }
        }
    }

    public void Write(HashingWriter w)
    {
        w.WriteInt32(BitConverter.SingleToInt32Bits(_scale));
        w.WriteBytes(MemoryMarshal.AsBytes(_centre.AsSpan()));
        if (_weight is not null)
        {
            w.WriteBytes(MemoryMarshal.AsBytes(_weight.AsSpan()));
        }
    }

    /// <summary>Reads what <see cref="Write"/> wrote; <paramref name="hasWeights"/> is false for files written before binary weights existed.</summary>
    public static QuantizationCodec Read(HashingReader r, VectorQuantization kind, VectorMetric metric, int dimension, bool hasWeights)
    {
        float scale = BitConverter.Int32BitsToSingle(r.ReadInt32());
        var centre = new float[dimension];
        r.ReadBytes(MemoryMarshal.AsBytes(centre.AsSpan()));
        float[]? weight = null;
        if (kind == VectorQuantization.Binary)
        {
            weight = Ones(BinaryBits(dimension, rotated: hasWeights));
            if (hasWeights)
            {
                r.ReadBytes(MemoryMarshal.AsBytes(weight.AsSpan()));
            }
        }

        if (!float.IsFinite(scale) || scale <= 0 || centre.Any(c => !float.IsFinite(c)) || (weight?.Any(x => !float.IsFinite(x) || x < 0) ?? false))
        {
            throw new InvalidDataException("index file is corrupt: bad quantizer bounds");
        }

        return new QuantizationCodec(kind, metric, centre, scale, weight, rotate: kind == VectorQuantization.Binary && hasWeights);
    }

    /// <summary>Writes v (minus the centre when <paramref name="centred"/>), zero-padded and rotated, into y (the rotation's length).</summary>
    private void Project(float* v, float* y, bool centred)
    {
        int dimension = Dimension;
        for (int d = 0; d < dimension; d++)
        {
            y[d] = centred ? v[d] - _centre[d] : v[d];
        }

        if (_rotation is not null)
        {
            new Span<float>(y + dimension, _rotation.Length - dimension).Clear();
            _rotation.Apply(y);
        }
    }

    /// <summary>Sets each bit's weight to the mean absolute value of its rotated, centred coordinate over the sample.</summary>
    private void LearnWeights(ReadOnlySpan<float> rows, int count)
    {
        int dimension = Dimension;
        var sum = new double[_weight!.Length];
        var y = new float[_rotation!.Length];
        fixed (float* row = rows)
        fixed (float* py = y)
        {
            for (int i = 0; i < count; i++)
            {
                Project(row + ((long)i * dimension), py, centred: true);
                for (int b = 0; b < sum.Length; b++)
                {
                    sum[b] += Math.Abs(py[b]);
                }
            }
        }

        for (int b = 0; b < sum.Length; b++)
        {
            _weight[b] = (float)(sum[b] / count);
        }
    }

    private static float[] Ones(int dimension)
    {
        var ones = new float[dimension];
        Array.Fill(ones, 1f);
        return ones;
    }

    private void EncodeInt8(float* v, sbyte* code, float inverseScale)
    {
        for (int d = 0; d < _centre.Length; d++)
        {
            float c = MathF.Round((v[d] - _centre[d]) * inverseScale);
            code[d] = (sbyte)Math.Clamp(c, -127f, 127f);
        }
    }
}
