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

    /// <summary>
    /// Σ over words of Σ_j 2^j · popcount(plane j AND bits), and popcount(bits) in <paramref name="ones"/>: the dot
    /// product of a <see cref="Quantization.QuantizationCodec.QueryBits"/>-bit query, stored as bit planes interleaved
    /// per word (plane j of word w at planes[w * 4 + j]), with a bit code.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int BitPlaneSum(ulong* planes, ulong* bits, int words, out int ones)
    {
        // Four independent sums so the popcounts of one word do not wait on each other.
        int s0 = 0, s1 = 0, s2 = 0, s3 = 0, count = 0;
        for (int w = 0; w < words; w++)
        {
            ulong b = bits[w];
            ulong* p = planes + (w * 4);
            count += BitOperations.PopCount(b);
            s0 += BitOperations.PopCount(p[0] & b);
            s1 += BitOperations.PopCount(p[1] & b);
            s2 += BitOperations.PopCount(p[2] & b);
            s3 += BitOperations.PopCount(p[3] & b);
        }

        ones = count;
        return s0 + (s1 << 1) + (s2 << 2) + (s3 << 3);
    }

    /// <summary>Reference for <see cref="BitPlaneSum"/>, one dimension at a time: the sum of the 4-bit levels whose bit is set.</summary>
    public static int BitPlaneSumScalar(ulong* planes, ulong* bits, int words, out int ones)
    {
        int sum = 0;
        ones = 0;
        for (int d = 0; d < words * 64; d++)
        {
            if ((bits[d >> 6] & (1UL << (d & 63))) == 0)
            {
                continue;
            }

            ones++;
            for (int j = 0; j < 4; j++)
            {
                if ((planes[((d >> 6) * 4) + j] & (1UL << (d & 63))) != 0)
                {
                    sum += 1 << j;
                }
            }
        }

        return sum;
    }

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
