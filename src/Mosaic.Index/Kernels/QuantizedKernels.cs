using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Mosaic.Index.Kernels;

/// <summary>Distance kernels over int8 and bit codes: AVX-512BW or AVX2 widening multiply-add, with scalar references.</summary>
/// <remarks>
/// int8 products are summed with vpmaddwd (sign-extend 32 bytes to 16-bit lanes, multiply pairs and add adjacent
/// into 32-bit lanes): exact for any code values, since |a*b + c*d| ≤ 2·127² and |a-b|² pairs ≤ 2·254² fit in an int.
/// Codes are padded with zeros to 64 bytes, so on the hot path the tail loop never runs; the tests compare every
/// length 1..300 against <see cref="DotInt8Scalar"/> / <see cref="L2SquaredInt8Scalar"/>.
/// </remarks>
public static unsafe class QuantizedKernels
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int DotInt8(sbyte* a, sbyte* b, int n) =>
        Avx512BW.IsSupported ? DotInt8Avx512(a, b, n) : Avx2.IsSupported ? DotInt8Avx2(a, b, n) : DotInt8Scalar(a, b, n);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int L2SquaredInt8(sbyte* a, sbyte* b, int n) =>
        Avx512BW.IsSupported ? L2SquaredInt8Avx512(a, b, n) : Avx2.IsSupported ? L2SquaredInt8Avx2(a, b, n) : L2SquaredInt8Scalar(a, b, n);

    /// <summary>
    /// Σ (a[i] + 128) · b[i]: the dot product of int8 codes shifted by 128 times the sum of <paramref name="b"/>, one
    /// vpdpbusd (u8 × s8 → i32, four products per lane) per 32 bytes where the CPU has AVX-VNNI.
    /// </summary>
    /// <remarks>
    /// vpdpbusd takes one unsigned operand; flipping the sign bit of a signed code (a XOR 0x80) is its value plus 128
    /// as a byte, so the stored codes stay signed (same records, files and build distances) and the shift is
    /// 128·Σb. With b the query that shift is the same for every node, so a search orders nodes by it exactly as by
    /// the dot product (<see cref="Int8BiasedNegativeDot"/>). Exact: |(a+128)·b| ≤ 255·127 and four of them per lane
    /// per 32 bytes stay far from int overflow for any length up to 65536.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int DotInt8Biased(sbyte* a, sbyte* b, int n) =>
        AvxVnni.IsSupported ? DotInt8BiasedVnni(a, b, n) : DotInt8BiasedScalar(a, b, n);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int DotInt8BiasedVnni(sbyte* a, sbyte* b, int n)
    {
        var sign = Vector256.Create((byte)0x80);
        var s0 = Vector256<int>.Zero;
        var s1 = Vector256<int>.Zero;
        int i = 0;
        for (; i + 64 <= n; i += 64)
        {
            s0 = AvxVnni.MultiplyWideningAndAdd(s0, Vector256.Load((byte*)a + i) ^ sign, Vector256.Load(b + i));
            s1 = AvxVnni.MultiplyWideningAndAdd(s1, Vector256.Load((byte*)a + i + 32) ^ sign, Vector256.Load(b + i + 32));
        }

        if (i + 32 <= n)
        {
            s0 = AvxVnni.MultiplyWideningAndAdd(s0, Vector256.Load((byte*)a + i) ^ sign, Vector256.Load(b + i));
            i += 32;
        }

        int sum = Vector256.Sum(s0 + s1);
        for (; i < n; i++)
        {
            sum += (a[i] + 128) * b[i];
        }

        return sum;
    }

    /// <summary>Reference for <see cref="DotInt8Biased"/>, one byte at a time.</summary>
    public static int DotInt8BiasedScalar(sbyte* a, sbyte* b, int n)
    {
        int sum = 0;
        for (int i = 0; i < n; i++)
        {
            sum += (a[i] + 128) * b[i];
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int DotInt8Avx512(sbyte* a, sbyte* b, int n)
    {
        var s0 = Vector512<int>.Zero;
        var s1 = Vector512<int>.Zero;
        int i = 0;
        for (; i + 64 <= n; i += 64)
        {
            s0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.Load(a + i)), Avx512BW.ConvertToVector512Int16(Vector256.Load(b + i)));
            s1 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.Load(a + i + 32)), Avx512BW.ConvertToVector512Int16(Vector256.Load(b + i + 32)));
        }

        if (i + 32 <= n)
        {
            s0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.Load(a + i)), Avx512BW.ConvertToVector512Int16(Vector256.Load(b + i)));
            i += 32;
        }

        int sum = Sum(s0 + s1);
        for (; i < n; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int DotInt8Avx2(sbyte* a, sbyte* b, int n)
    {
        var s0 = Vector256<int>.Zero;
        var s1 = Vector256<int>.Zero;
        int i = 0;
        for (; i + 32 <= n; i += 32)
        {
            s0 += Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Vector128.Load(a + i)), Avx2.ConvertToVector256Int16(Vector128.Load(b + i)));
            s1 += Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Vector128.Load(a + i + 16)), Avx2.ConvertToVector256Int16(Vector128.Load(b + i + 16)));
        }

        int sum = Vector256.Sum(s0 + s1);
        for (; i < n; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int L2SquaredInt8Avx512(sbyte* a, sbyte* b, int n)
    {
        var s0 = Vector512<int>.Zero;
        var s1 = Vector512<int>.Zero;
        int i = 0;
        for (; i + 64 <= n; i += 64)
        {
            var d0 = Avx512BW.ConvertToVector512Int16(Vector256.Load(a + i)) - Avx512BW.ConvertToVector512Int16(Vector256.Load(b + i));
            var d1 = Avx512BW.ConvertToVector512Int16(Vector256.Load(a + i + 32)) - Avx512BW.ConvertToVector512Int16(Vector256.Load(b + i + 32));
            s0 += Avx512BW.MultiplyAddAdjacent(d0, d0);
            s1 += Avx512BW.MultiplyAddAdjacent(d1, d1);
        }

        if (i + 32 <= n)
        {
            var d0 = Avx512BW.ConvertToVector512Int16(Vector256.Load(a + i)) - Avx512BW.ConvertToVector512Int16(Vector256.Load(b + i));
            s0 += Avx512BW.MultiplyAddAdjacent(d0, d0);
            i += 32;
        }

        int sum = Sum(s0 + s1);
        for (; i < n; i++)
        {
            int d = a[i] - b[i];
            sum += d * d;
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int L2SquaredInt8Avx2(sbyte* a, sbyte* b, int n)
    {
        var s0 = Vector256<int>.Zero;
        var s1 = Vector256<int>.Zero;
        int i = 0;
        for (; i + 32 <= n; i += 32)
        {
            var d0 = Avx2.ConvertToVector256Int16(Vector128.Load(a + i)) - Avx2.ConvertToVector256Int16(Vector128.Load(b + i));
            var d1 = Avx2.ConvertToVector256Int16(Vector128.Load(a + i + 16)) - Avx2.ConvertToVector256Int16(Vector128.Load(b + i + 16));
            s0 += Avx2.MultiplyAddAdjacent(d0, d0);
            s1 += Avx2.MultiplyAddAdjacent(d1, d1);
        }

        int sum = Vector256.Sum(s0 + s1);
        for (; i < n; i++)
        {
            int d = a[i] - b[i];
            sum += d * d;
        }

        return sum;
    }

    /// <summary>Number of differing bits over <paramref name="words"/> 64-bit words.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Hamming(ulong* a, ulong* b, int words)
    {
        int sum = 0;
        for (int i = 0; i < words; i++)
        {
            sum += BitOperations.PopCount(a[i] ^ b[i]);
        }

        return sum;
    }

    /// <summary>Set bits over <paramref name="words"/> 64-bit words.</summary>
    public static int PopCount(ulong* a, int words)
    {
        int sum = 0;
        for (int i = 0; i < words; i++)
        {
            sum += BitOperations.PopCount(a[i]);
        }

        return sum;
    }

    /// <summary>
    /// Estimated distance between a binary query (<see cref="Quantization.QuantizationCodec.EncodeBinaryQuery"/>:
    /// header constants, then bit planes) and a stored code of <paramref name="words"/> words followed by its factors:
    /// constant + λ·‖y‖² - factor · (A·ones + B·planeSum - C).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float BinaryDistance(byte* query, byte* code, int words)
    {
        float* h = (float*)query;
        float* f = (float*)(code + (words * sizeof(ulong)));
        int sum = BitPlaneSum((ulong*)(query + Quantization.QuantizationCodec.QueryHeaderBytes), (ulong*)code, words);
        return h[0] + (h[1] * f[1]) - (f[0] * ((h[2] * ((int*)f)[2]) + (h[3] * sum) - h[4]));
    }

    /// <summary>
    /// Σ over dimensions with their bit set of the query's <see cref="Quantization.QuantizationCodec.QueryBits"/>-bit
    /// level: Σ_j 2^j · popcount(plane j AND bits). The planes are laid out per 512 dimensions (8 words): plane 0's 8
    /// words, then plane 1's, 2's and 3's, so one 64-byte load takes a plane of a whole code line.
    /// </summary>
    /// <remarks>
    /// .NET has no vector popcount (VPOPCNTQ), and scalar POPCNT runs on one port only (40 of them for a 512-bit code
    /// were most of a distance). The SIMD paths count bits per byte with a 16-entry table lookup per nibble (vpshufb,
    /// Muła's method), weight the four planes' byte counts by Horner's rule (at most 8·15 = 120, so they stay bytes)
    /// and sum the bytes with vpsadbw once per line. A tail of fewer than 8 words (codes are padded to 64 bytes, so
    /// only in tests) takes the scalar path.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int BitPlaneSum(ulong* planes, ulong* bits, int words) =>
        Avx512BW.IsSupported ? BitPlaneSumAvx512(planes, bits, words)
        : Avx2.IsSupported ? BitPlaneSumAvx2(planes, bits, words)
        : BitPlaneSumScalar(planes, bits, words);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int BitPlaneSumAvx512(ulong* planes, ulong* bits, int words)
    {
        var table = Vector512.Create(NibbleCounts);
        var low = Vector512.Create((byte)0x0F);
        var total = Vector512<ulong>.Zero;
        int w = 0;
        for (; w + 8 <= words; w += 8)
        {
            var b = Vector512.Load((byte*)(bits + w));
            byte* p = (byte*)(planes + (w * 4));
            var acc = Count512(Vector512.Load(p + 192) & b, table, low);
            acc = acc + acc + Count512(Vector512.Load(p + 128) & b, table, low);
            acc = acc + acc + Count512(Vector512.Load(p + 64) & b, table, low);
            acc = acc + acc + Count512(Vector512.Load(p) & b, table, low);
            total += Avx512BW.SumAbsoluteDifferences(acc, Vector512<byte>.Zero).AsUInt64();
        }

        int sum = (int)Vector512.Sum(total);
        return w == words ? sum : sum + BitPlaneSumTail(planes, bits, w, words);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int BitPlaneSumAvx2(ulong* planes, ulong* bits, int words)
    {
        var table = Vector256.Create(NibbleCounts);
        var low = Vector256.Create((byte)0x0F);
        var total = Vector256<ulong>.Zero;
        int w = 0;
        for (; w + 8 <= words; w += 8)
        {
            byte* p = (byte*)(planes + (w * 4));
            for (int half = 0; half < 64; half += 32)
            {
                var b = Vector256.Load((byte*)(bits + w) + half);
                var acc = Count256(Vector256.Load(p + 192 + half) & b, table, low);
                acc = acc + acc + Count256(Vector256.Load(p + 128 + half) & b, table, low);
                acc = acc + acc + Count256(Vector256.Load(p + 64 + half) & b, table, low);
                acc = acc + acc + Count256(Vector256.Load(p + half) & b, table, low);
                total += Avx2.SumAbsoluteDifferences(acc, Vector256<byte>.Zero).AsUInt64();
            }
        }

        int sum = (int)Vector256.Sum(total);
        return w == words ? sum : sum + BitPlaneSumTail(planes, bits, w, words);
    }

    /// <summary>Reference for <see cref="BitPlaneSum"/>, one dimension at a time: the sum of the 4-bit levels whose bit is set.</summary>
    public static int BitPlaneSumScalar(ulong* planes, ulong* bits, int words)
    {
        int sum = 0;
        for (int d = 0; d < words * 64; d++)
        {
            int w = d >> 6;
            ulong mask = 1UL << (d & 63);
            if ((bits[w] & mask) == 0)
            {
                continue;
            }

            for (int j = 0; j < 4; j++)
            {
                if ((planes[PlaneWord(w, j)] & mask) != 0)
                {
                    sum += 1 << j;
                }
            }
        }

        return sum;
    }

    /// <summary>Index of plane <paramref name="plane"/>'s word <paramref name="word"/> in the layout of <see cref="BitPlaneSum"/>.</summary>
    public static int PlaneWord(int word, int plane) => ((word >> 3) * 32) + (plane * 8) + (word & 7);

    private static int BitPlaneSumTail(ulong* planes, ulong* bits, int from, int words)
    {
        int s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int w = from; w < words; w++)
        {
            ulong b = bits[w];
            s0 += BitOperations.PopCount(planes[PlaneWord(w, 0)] & b);
            s1 += BitOperations.PopCount(planes[PlaneWord(w, 1)] & b);
            s2 += BitOperations.PopCount(planes[PlaneWord(w, 2)] & b);
            s3 += BitOperations.PopCount(planes[PlaneWord(w, 3)] & b);
        }

        return s0 + (s1 << 1) + (s2 << 2) + (s3 << 3);
    }

    // Bits set in each nibble value 0..15, repeated per 16-byte lane (vpshufb looks up within lanes).
    private static ReadOnlySpan<byte> NibbleCounts =>
    [
        0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
        0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
    ];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Count512(Vector512<byte> x, Vector512<byte> table, Vector512<byte> low) =>
        Avx512BW.Shuffle(table, x & low) + Avx512BW.Shuffle(table, Vector512.ShiftRightLogical(x.AsUInt16(), 4).AsByte() & low);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Count256(Vector256<byte> x, Vector256<byte> table, Vector256<byte> low) =>
        Avx2.Shuffle(table, x & low) + Avx2.Shuffle(table, Vector256.ShiftRightLogical(x.AsUInt16(), 4).AsByte() & low);

    /// <summary>Reference int8 dot product, one byte at a time.</summary>
    public static int DotInt8Scalar(sbyte* a, sbyte* b, int n)
    {
        int sum = 0;
        for (int i = 0; i < n; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    /// <summary>Reference int8 squared Euclidean distance, one byte at a time.</summary>
    public static int L2SquaredInt8Scalar(sbyte* a, sbyte* b, int n)
    {
        int sum = 0;
        for (int i = 0; i < n; i++)
        {
            int d = a[i] - b[i];
            sum += d * d;
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Sum(Vector512<int> v)
    {
        Vector256<int> h = v.GetLower() + v.GetUpper();
        return Vector128.Sum(h.GetLower() + h.GetUpper());
    }
}
