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

    /// <summary>Sum of the <paramref name="q"/> values whose bit is set in <paramref name="bits"/> (words * 64 floats).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SumWhereSet(float* q, ulong* bits, int words)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            return SumWhereSetScalar(q, bits, words);
        }

        // Lane i of a 16-float group takes its value when bit i of the group's 16 bits is set.
        var lanes = Vector512.Create(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768);
        var s0 = Vector512<float>.Zero;
        var s1 = Vector512<float>.Zero;
        for (int w = 0; w < words; w++)
        {
            ulong word = bits[w];
            float* g = q + (w * 64);
            var m0 = Vector512.Equals(Vector512.Create((int)(word & 0xFFFF)) & lanes, lanes).AsSingle();
            var m1 = Vector512.Equals(Vector512.Create((int)((word >> 16) & 0xFFFF)) & lanes, lanes).AsSingle();
            var m2 = Vector512.Equals(Vector512.Create((int)((word >> 32) & 0xFFFF)) & lanes, lanes).AsSingle();
            var m3 = Vector512.Equals(Vector512.Create((int)(word >> 48)) & lanes, lanes).AsSingle();
            s0 += (Vector512.Load(g) & m0) + (Vector512.Load(g + 16) & m1);
            s1 += (Vector512.Load(g + 32) & m2) + (Vector512.Load(g + 48) & m3);
        }

        Vector256<float> h = (s0 + s1).GetLower() + (s0 + s1).GetUpper();
        return Vector128.Sum(h.GetLower() + h.GetUpper());
    }

    /// <summary>Reference for <see cref="SumWhereSet"/>, one bit at a time.</summary>
    public static float SumWhereSetScalar(float* q, ulong* bits, int words)
    {
        float sum = 0;
        for (int d = 0; d < words * 64; d++)
        {
            if ((bits[d >> 6] & (1UL << (d & 63))) != 0)
            {
                sum += q[d];
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
