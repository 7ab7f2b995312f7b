using System.Runtime.InteropServices;
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
/// between the vectors as seen from the data's centroid.</para>
/// Codes are zero-padded to whole 64-byte lines; padding is equal in every code, so it adds nothing to a distance.
/// </remarks>
internal sealed unsafe class QuantizationCodec
{
    private readonly float[] _centre;
    private readonly float _scale;

    private QuantizationCodec(VectorQuantization kind, VectorMetric metric, float[] centre, float scale)
    {
        Kind = kind;
        Metric = metric;
        _centre = centre;
        _scale = scale;
    }

    public VectorQuantization Kind { get; }

    public VectorMetric Metric { get; }

    public int Dimension => _centre.Length;

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
            return new QuantizationCodec(kind, metric, centre, 1f);
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

            return new QuantizationCodec(kind, metric, centre, 1f);
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
            for (int d = 0; d < _centre.Length; d++)
            {
                if (v[d] > _centre[d])
                {
                    code[d >> 3] |= (byte)(1 << (d & 7));
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

    /// <summary>The query of a binary graph: its floats centred on the learned means, zero-padded to <paramref name="paddedFloats"/>.</summary>
    public void CentreQuery(float* q, float* centred, int paddedFloats)
    {
        new Span<float>(centred, paddedFloats).Clear();
        for (int d = 0; d < _centre.Length; d++)
        {
            centred[d] = q[d] - _centre[d];
        }
    }

    public void Write(HashingWriter w)
    {
        w.WriteInt32(BitConverter.SingleToInt32Bits(_scale));
        w.WriteBytes(MemoryMarshal.AsBytes(_centre.AsSpan()));
    }

    public static QuantizationCodec Read(HashingReader r, VectorQuantization kind, VectorMetric metric, int dimension)
    {
        float scale = BitConverter.Int32BitsToSingle(r.ReadInt32());
        var centre = new float[dimension];
        r.ReadBytes(MemoryMarshal.AsBytes(centre.AsSpan()));
        if (!float.IsFinite(scale) || scale <= 0 || centre.Any(c => !float.IsFinite(c)))
        {
            throw new InvalidDataException("index file is corrupt: bad quantizer bounds");
        }

        return new QuantizationCodec(kind, metric, centre, scale);
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
