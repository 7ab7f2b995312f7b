using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
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
/// <para>Binary estimates are corrected per vector (RaBitQ's estimator): with y the vector's rotated residual and ŷ
/// its one-bit reconstruction, ⟨q, y⟩ ≈ ⟨q, ŷ⟩ · ‖y‖² / ⟨ŷ, y⟩, which is exact for q = y and unbiased for a random
/// rotation. Without the factor every code counts as if its vector were as far from the centre as the average one,
/// so a far vector (large ‖y‖, large dot products) ranks like a near one. Each code is followed by
/// <see cref="BinaryFactorBytes"/>: that factor, ‖y‖² (the L2 term) and the code's number of set bits.</para>
/// Codes are zero-padded to whole 64-byte lines; padding is equal in every code, so it adds nothing to a distance.
/// </remarks>
internal sealed unsafe class QuantizationCodec
{
    /// <summary>Bits per dimension of a binary graph's query (bit planes; 4 as in Elasticsearch's BBQ).</summary>
    public const int QueryBits = 4;

    /// <summary>Bytes before the bit planes of a binary query: the constants that turn plane sums into distances (see <see cref="Kernels.QuantizedKernels.BinaryDistance"/>).</summary>
    public const int QueryHeaderBytes = 64;

    /// <summary>Bytes after a binary code: the vector's correction factor (float), ‖y‖² (float), its set bits (int) and its error scale (float).</summary>
    public const int BinaryFactorBytes = 16;

    /// <summary>
    /// ε0 of RaBitQ's error bound: an estimate of ⟨q, y⟩ is off by more than ε0 · ‖q‖ · ‖y‖ · √(1/cos² - 1) / √(D - 1)
    /// (cos between y and its reconstruction) with small probability (1.9 in the paper; a bit more here because the
    /// query is rounded to 4 bits and the bits are weighted).
    /// </summary>
    public const float BoundEpsilon = 2.5f;

    private const int StackFloats = 4096;

    private readonly float[] _centre;
    private readonly float _scale;

    // Binary only: the rotation applied after centring (null in files of version 2: bits are the raw dimensions), and
    // each bit's mean absolute deviation (all ones in files of version 2).
    private readonly HadamardRotation? _rotation;
    private readonly float[]? _weight;

    // ‖ŷ‖ of every reconstruction Σ ±weight_i e_i (set again once the weights are learned).
    private double _reconstructionNorm;

    private QuantizationCodec(VectorQuantization kind, VectorMetric metric, float[] centre, float scale, float[]? weight = null, bool rotate = false, bool nodeFactors = false, bool fittedRotation = false)
    {
        Kind = kind;
        HasNodeFactors = kind == VectorQuantization.Binary && nodeFactors;
        FittedRotation = rotate && fittedRotation;
        Metric = metric;
        _centre = centre;
        _scale = scale;
        _weight = weight;
        _rotation = !rotate ? null : FittedRotation ? new HadamardRotation(centre.Length, CodeBytes(kind, centre.Length) * 8) : new HadamardRotation(centre.Length);
        _reconstructionNorm = weight is null ? 0 : Math.Sqrt(weight.Sum(w => (double)w * w));
    }

    public VectorQuantization Kind { get; }

    public VectorMetric Metric { get; }

    public int Dimension => _centre.Length;

    /// <summary>
    /// Binary codes carry per-vector correction factors; false for files written before they existed, whose codes
    /// get the neutral factor (the plain weighted estimate) so that old and new codes of one graph stay comparable.
    /// </summary>
    public bool HasNodeFactors { get; }

    /// <summary>
    /// The rotation spans the code's bits (see <see cref="HadamardRotation(int, int)"/>); false for files written
    /// before, whose codes keep the first bits of the dimension's power of two (the same where that fits the code).
    /// </summary>
    public bool FittedRotation { get; }

    /// <summary>What a file stores before the codec: 1 without node factors, 2 with them, 3 with them and a fitted rotation.</summary>
    public int FileMarker => FittedRotation ? 3 : HasNodeFactors ? 2 : 1;

    /// <summary>Whether a file's marker before the codec says it holds one (see <see cref="FileMarker"/>).</summary>
    public static bool IsFileMarker(int marker) => marker is 1 or 2 or 3;

    /// <summary>Bits a binary code holds: the rotated coordinates that fit in its padded bytes, or the dimension unrotated.</summary>
    public static int BinaryBits(int dimension, bool rotated) => rotated
        ? Math.Min(new HadamardRotation(dimension).Length, CodeBytes(VectorQuantization.Binary, dimension) * 8)
        : dimension;

    /// <summary>Bytes a record holds for a vector: the code, and for binary its factors after it.</summary>
    public static int StoredBytes(VectorQuantization kind, int dimension) =>
        CodeBytes(kind, dimension) + (kind == VectorQuantization.Binary ? BinaryFactorBytes : 0);

    /// <summary>Bytes of one code (padded to 64), without the factors.</summary>
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
            return new QuantizationCodec(kind, metric, centre, 1f, kind == VectorQuantization.Binary ? Ones(BinaryBits(dimension, rotated: true)) : null, rotate: kind == VectorQuantization.Binary, nodeFactors: true, fittedRotation: true);
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

            var codec = new QuantizationCodec(kind, metric, centre, 1f, new float[BinaryBits(dimension, rotated: true)], rotate: true, nodeFactors: true, fittedRotation: true);
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

    /// <summary>Encodes a stored vector into <paramref name="code"/> (<see cref="StoredBytes"/> bytes).</summary>
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
                double kept = 0, projection = 0, norm = 0;
                for (int i = 0; i < length; i++)
                {
                    norm += (double)y[i] * y[i];
                }

                for (int i = 0; i < _weight!.Length; i++)
                {
                    kept += (double)y[i] * y[i];
                    projection += _weight[i] * Math.Abs(y[i]);
                    if (y[i] > 0)
                    {
                        code[i >> 3] |= (byte)(1 << (i & 7));
                    }
                }

                // ‖y‖² / ⟨ŷ, y⟩ over the coordinates the code keeps; 0 for a vector at the centre (its estimate is 0 too).
                float factor = projection > 0 ? (float)(kept / projection) : 0f;

                // ‖y‖ · √(1/cos² - 1), cos = ⟨ŷ, y⟩ / (‖ŷ‖ ‖y‖): the code's part of the error bound (see BoundEpsilon).
                float error = projection > 0 ? (float)Math.Sqrt(Math.Max(0, (kept * kept * _reconstructionNorm * _reconstructionNorm / (projection * projection)) - kept)) : 0f;
                if (HasNodeFactors)
                {
                    SetFactors(code, bytes, factor, (float)norm, error);
                }
                else
                {
                    CompleteLegacyCode(code);
                }
            }

            return;
        }

        EncodeInt8(v, (sbyte*)code, 1f / _scale);
    }

    /// <summary>Fills the factors of a code read from a file that has none: the neutral factor, its bit count, and no bound (always rescored).</summary>
    public void CompleteLegacyCode(byte* code) => SetFactors(code, CodeBytes(Kind, Dimension), 1f, 0f, float.PositiveInfinity);

    private static void SetFactors(byte* code, int bytes, float factor, float norm, float error)
    {
        float* f = (float*)(code + bytes);
        f[0] = factor;
        f[1] = norm;
        ((int*)f)[2] = Kernels.QuantizedKernels.PopCount((ulong*)code, bytes / sizeof(ulong));
        f[3] = error;
    }

    /// <summary>
    /// Encodes a query; for int8 dot products with its own scale, so a query outside the learned range keeps its
    /// resolution. Returns the factor from code distances to float distances (approximate scores without rescoring).
    /// </summary>
    public float EncodeQuery(float* q, byte* code)
    {
        if (Kind == VectorQuantization.Int8 && Metric != VectorMetric.L2)
        {
            float max = MaxAbs(q, _centre.Length);
            new Span<byte>(code + Dimension, CodeBytes(Kind, Dimension) - Dimension).Clear();
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
    /// t = weight · (q - centre) for L2 or weight · q for dot products (rotated), rounded to <see cref="QueryBits"/>
    /// bits between the query's own min and max, stored as bit planes (see <see cref="Kernels.QuantizedKernels.BitPlaneSum"/>
    /// for their layout); the header holds the constants of <see cref="Kernels.QuantizedKernels.BinaryDistance"/>:
    /// ⟨ŷ, t⟩ = Σ over set bits of t - Σ over clear bits = 2(min · ones + step · planeSum) - Σ t, times the code's factor,
    /// plus the terms that do not depend on the code's bits (‖q - c‖² and ‖y‖² for L2, ⟨q, c⟩ for dot products).
    /// </summary>
    public void EncodeBinaryQuery(float* q, byte* buffer)
    {
        int length = _rotation?.Length ?? Dimension;
        int bits = _weight!.Length;
        int chunks = (bits + 511) / 512;
        Span<float> projected = length <= StackFloats ? stackalloc float[length] : new float[length];
        Span<byte> levels = bits <= StackFloats ? stackalloc byte[chunks * 512] : new byte[chunks * 512];
        levels.Clear();
        bool l2 = Metric == VectorMetric.L2;
        fixed (float* t = projected)
        fixed (float* weight = _weight)
        fixed (float* centre = _centre)
        fixed (byte* level = levels)
        {
            // The terms that do not depend on the code: -⟨q, c⟩, or ‖q - c‖² (the rotation keeps norms).
            Project(q, t, centred: l2);
            float constant = l2 ? Dot(t, t, length) : -Dot(q, centre, Dimension);
            float queryNorm = MathF.Sqrt(Dot(t, t, length));
            Multiply(t, weight, bits);
            (float min, float max) = MinMax(t, bits);
            const int Levels = (1 << QueryBits) - 1;
            float step = max > min ? (max - min) / Levels : 1f;
            int levelSum = Quantize(t, bits, min, 1f / step, level);
            float mu = l2 ? 2f : 1f;
            new Span<byte>(buffer, BinaryQueryBytes(Dimension)).Clear();
            float* header = (float*)buffer;
            header[0] = constant;
            header[1] = l2 ? 1f : 0f;
            header[2] = 2 * mu * min;
            header[3] = 2 * mu * step;
            header[4] = mu * ((bits * min) + (step * levelSum));

            // Times a code's error scale: how far its estimated distance may be below the true one.
            header[5] = mu * queryNorm * BoundEpsilon / MathF.Sqrt(Math.Max(Dimension - 1, 1));
            ulong* planes = (ulong*)(buffer + QueryHeaderBytes);
            for (int start = 0; start < bits; start += 64)
            {
                // Bit j of each of the 64 levels, moved to each byte's top bit and gathered into one word of plane j.
                int word = start >> 6;
                ulong* slot = planes + ((word >> 3) * 8 * QueryBits) + (word & 7);
                var all = Vector512.Load(level + start);
                for (int j = 0; j < QueryBits; j++)
                {
                    slot[j * 8] = Vector512.ShiftLeft(all, 7 - j).ExtractMostSignificantBits();
                }
            }
        }
    }

    private static float Dot(float* a, float* b, int n)
    {
        var acc = Vector512<float>.Zero;
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            acc += Vector512.Load(a + i) * Vector512.Load(b + i);
        }

        float sum = Vector512.Sum(acc);
        for (; i < n; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    private static void Multiply(float* t, float* weight, int n)
    {
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            (Vector512.Load(t + i) * Vector512.Load(weight + i)).Store(t + i);
        }

        for (; i < n; i++)
        {
            t[i] *= weight[i];
        }
    }

    private static (float Min, float Max) MinMax(float* t, int n)
    {
        var vmin = Vector512.Create(float.MaxValue);
        var vmax = Vector512.Create(float.MinValue);
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            var x = Vector512.Load(t + i);
            vmin = Vector512.Min(vmin, x);
            vmax = Vector512.Max(vmax, x);
        }

        float min = float.MaxValue, max = float.MinValue;
        for (int j = 0; j < 16; j++)
        {
            min = Math.Min(min, vmin[j]);
            max = Math.Max(max, vmax[j]);
        }

        for (; i < n; i++)
        {
            min = Math.Min(min, t[i]);
            max = Math.Max(max, t[i]);
        }

        return (min, max);
    }

    /// <summary>Rounds each term to its level, round((t - min) / step) in 0..15, into <paramref name="level"/>; returns the sum of the levels.</summary>
    private static int Quantize(float* t, int n, float min, float inverse, byte* level)
    {
        const int Levels = (1 << QueryBits) - 1;
        int sum = 0;
        int i = 0;
        var vmin = Vector512.Create(min);
        var vinverse = Vector512.Create(inverse);
        var half = Vector512.Create(0.5f);
        var top = Vector512.Create((float)Levels);
        var total = Vector512<int>.Zero;
        for (; i + 16 <= n; i += 16)
        {
            // Non-negative, so truncation after adding a half rounds to nearest.
            var x = Vector512.Min(Vector512.FusedMultiplyAdd(Vector512.Load(t + i) - vmin, vinverse, half), top);
            var l = Vector512.ConvertToInt32(x);
            total += l;
            if (Avx512F.IsSupported)
            {
                Avx512F.ConvertToVector128Byte(l).Store(level + i);
            }
            else
            {
                for (int j = 0; j < 16; j++)
                {
                    level[i + j] = (byte)l[j];
                }
            }
        }

        sum = Vector512.Sum(total);
        for (; i < n; i++)
        {
            int l = Math.Min((int)(((t[i] - min) * inverse) + 0.5f), Levels);
            level[i] = (byte)l;
            sum += l;
        }

        return sum;
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

    /// <summary>Reads what <see cref="Write"/> wrote after its <see cref="FileMarker"/>; <paramref name="hasWeights"/> is false for files written before binary weights existed.</summary>
    public static QuantizationCodec Read(HashingReader r, VectorQuantization kind, VectorMetric metric, int dimension, bool hasWeights, int marker)
    {
        bool nodeFactors = marker >= 2;
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

        return new QuantizationCodec(kind, metric, centre, scale, weight, rotate: kind == VectorQuantization.Binary && hasWeights, nodeFactors, fittedRotation: marker == 3);
    }

    /// <summary>Writes v (minus the centre when <paramref name="centred"/>), zero-padded and rotated, into y (the rotation's length).</summary>
    private void Project(float* v, float* y, bool centred)
    {
        int dimension = Dimension;
        fixed (float* centre = _centre)
        {
            int d = 0;
            for (; d + 16 <= dimension; d += 16)
            {
                var x = Vector512.Load(v + d);
                (centred ? x - Vector512.Load(centre + d) : x).Store(y + d);
            }

            for (; d < dimension; d++)
            {
                y[d] = centred ? v[d] - centre[d] : v[d];
            }
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

        _reconstructionNorm = Math.Sqrt(_weight.Sum(w => (double)w * w));
    }

    private static float[] Ones(int dimension)
    {
        var ones = new float[dimension];
        Array.Fill(ones, 1f);
        return ones;
    }

    private void EncodeInt8(float* v, sbyte* code, float inverseScale)
    {
        fixed (float* centre = _centre)
        {
            EncodeInt8(v, centre, code, _centre.Length, inverseScale);
        }
    }

    /// <summary>
    /// code = clamp(round((v - centre) · inverseScale), -127, 127), 32 dimensions per step (the query is encoded on
    /// every search); the same float operations as <see cref="EncodeInt8Scalar"/>, so the same codes.
    /// </summary>
    internal static void EncodeInt8(float* v, float* centre, sbyte* code, int n, float inverseScale)
    {
        int d = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var inverse = Vector256.Create(inverseScale);
            var low = Vector256.Create(-127f);
            var high = Vector256.Create(127f);
            for (; d + 32 <= n; d += 32)
            {
                var i0 = Vector256.ConvertToInt32(Vector256.Clamp(Vector256.Round((Vector256.Load(v + d) - Vector256.Load(centre + d)) * inverse), low, high));
                var i1 = Vector256.ConvertToInt32(Vector256.Clamp(Vector256.Round((Vector256.Load(v + d + 8) - Vector256.Load(centre + d + 8)) * inverse), low, high));
                var i2 = Vector256.ConvertToInt32(Vector256.Clamp(Vector256.Round((Vector256.Load(v + d + 16) - Vector256.Load(centre + d + 16)) * inverse), low, high));
                var i3 = Vector256.ConvertToInt32(Vector256.Clamp(Vector256.Round((Vector256.Load(v + d + 24) - Vector256.Load(centre + d + 24)) * inverse), low, high));
                Vector256.Narrow(Vector256.Narrow(i0, i1), Vector256.Narrow(i2, i3)).Store(code + d);
            }
        }

        EncodeInt8Scalar(v + d, centre + d, code + d, n - d, inverseScale);
    }

    /// <summary>Reference for <see cref="EncodeInt8(float*, float*, sbyte*, int, float)"/>, one dimension at a time.</summary>
    internal static void EncodeInt8Scalar(float* v, float* centre, sbyte* code, int n, float inverseScale)
    {
        for (int d = 0; d < n; d++)
        {
            float c = MathF.Round((v[d] - centre[d]) * inverseScale);
            code[d] = (sbyte)Math.Clamp(c, -127f, 127f);
        }
    }

    /// <summary>Largest |q[d]|: a dot-product query's own scale.</summary>
    private static float MaxAbs(float* q, int n)
    {
        int d = 0;
        float max = 0;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var m = Vector256<float>.Zero;
            for (; d + 8 <= n; d += 8)
            {
                m = Vector256.Max(m, Vector256.Abs(Vector256.Load(q + d)));
            }

            for (int j = 0; j < 8; j++)
            {
                max = Math.Max(max, m.GetElement(j));
            }
        }

        for (; d < n; d++)
        {
            max = Math.Max(max, Math.Abs(q[d]));
        }

        return max;
    }
}
