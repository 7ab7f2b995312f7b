using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Mosaic.Index.Kernels;

/// <summary>Distance kernels over raw float pointers: SIMD (Vector512, Vector256 or Vector128, whichever the CPU runs natively) with a scalar reference.</summary>
/// <remarks>
/// The index stores vectors zero-padded to a multiple of <see cref="Padding"/> floats, so on the hot path the length
/// is always a multiple of 16 and the tail loops never run; they exist so the kernels are correct for any length
/// (the tests compare every length 1..300 against <see cref="DotScalar"/> / <see cref="L2SquaredScalar"/>).
/// Two accumulators break the FMA dependency chain: with one, 128-d took 8 dependent FMAs (4-cycle latency each).
/// </remarks>
public static unsafe class VectorKernels
{
    /// <summary>Stored vectors are padded with zeros to a multiple of this many floats (one 64-byte line).</summary>
    public const int Padding = 16;

    /// <summary>Rounds a dimension up to the padded length the index stores.</summary>
    public static int PaddedLength(int dimension) => (dimension + Padding - 1) / Padding * Padding;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(float* a, float* b, int n)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            var s0 = Vector512<float>.Zero;
            var s1 = Vector512<float>.Zero;
            int i = 0;
            for (; i + 32 <= n; i += 32)
            {
                s0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), s0);
                s1 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i + 16), Vector512.Load(b + i + 16), s1);
            }

            if (i + 16 <= n)
            {
                s0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), s0);
                i += 16;
            }

            float sum = HorizontalSum(s0 + s1);
            for (; i < n; i++)
            {
                sum += a[i] * b[i];
            }

            return sum;
        }

        if (Vector256.IsHardwareAccelerated)
        {
            var s0 = Vector256<float>.Zero;
            var s1 = Vector256<float>.Zero;
            int i = 0;
            for (; i + 16 <= n; i += 16)
            {
                s0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i + 8), Vector256.Load(b + i + 8), s1);
            }

            float sum = Vector256.Sum(s0 + s1);
            for (; i < n; i++)
            {
                sum += a[i] * b[i];
            }

            return sum;
        }

        if (Vector128.IsHardwareAccelerated)
        {
            var s0 = Vector128<float>.Zero;
            var s1 = Vector128<float>.Zero;
            int i = 0;
            for (; i + 8 <= n; i += 8)
            {
                s0 += Vector128.Load(a + i) * Vector128.Load(b + i);
                s1 += Vector128.Load(a + i + 4) * Vector128.Load(b + i + 4);
            }

            float sum = Vector128.Sum(s0 + s1);
            for (; i < n; i++)
            {
                sum += a[i] * b[i];
            }

            return sum;
        }

        return DotScalar(a, b, n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float L2Squared(float* a, float* b, int n)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            var s0 = Vector512<float>.Zero;
            var s1 = Vector512<float>.Zero;
            int i = 0;
            for (; i + 32 <= n; i += 32)
            {
                var d0 = Vector512.Load(a + i) - Vector512.Load(b + i);
                var d1 = Vector512.Load(a + i + 16) - Vector512.Load(b + i + 16);
                s0 = Vector512.FusedMultiplyAdd(d0, d0, s0);
                s1 = Vector512.FusedMultiplyAdd(d1, d1, s1);
            }

            if (i + 16 <= n)
            {
                var d0 = Vector512.Load(a + i) - Vector512.Load(b + i);
                s0 = Vector512.FusedMultiplyAdd(d0, d0, s0);
                i += 16;
            }

            float sum = HorizontalSum(s0 + s1);
            for (; i < n; i++)
            {
                float d = a[i] - b[i];
                sum += d * d;
            }

            return sum;
        }

        if (Vector256.IsHardwareAccelerated)
        {
            var s0 = Vector256<float>.Zero;
            var s1 = Vector256<float>.Zero;
            int i = 0;
            for (; i + 16 <= n; i += 16)
            {
                var d0 = Vector256.Load(a + i) - Vector256.Load(b + i);
                var d1 = Vector256.Load(a + i + 8) - Vector256.Load(b + i + 8);
                s0 = Vector256.FusedMultiplyAdd(d0, d0, s0);
                s1 = Vector256.FusedMultiplyAdd(d1, d1, s1);
            }

            float sum = Vector256.Sum(s0 + s1);
            for (; i < n; i++)
            {
                float d = a[i] - b[i];
                sum += d * d;
            }

            return sum;
        }

        if (Vector128.IsHardwareAccelerated)
        {
            var s0 = Vector128<float>.Zero;
            var s1 = Vector128<float>.Zero;
            int i = 0;
            for (; i + 8 <= n; i += 8)
            {
                var d0 = Vector128.Load(a + i) - Vector128.Load(b + i);
                var d1 = Vector128.Load(a + i + 4) - Vector128.Load(b + i + 4);
                s0 += d0 * d0;
                s1 += d1 * d1;
            }

            float sum = Vector128.Sum(s0 + s1);
            for (; i < n; i++)
            {
                float d = a[i] - b[i];
                sum += d * d;
            }

            return sum;
        }

        return L2SquaredScalar(a, b, n);
    }

    /// <summary>Sum of the 16 lanes by halving (512 → 256 → 128 bits), then Vector128.Sum.</summary>
    /// <remarks>Vector512.Sum compiled to four separate 128-bit reductions (~25 instructions, .NET 10); this is ~8.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float HorizontalSum(Vector512<float> v)
    {
        Vector256<float> h = v.GetLower() + v.GetUpper();
        return Vector128.Sum(h.GetLower() + h.GetUpper());
    }

    /// <summary>Reference dot product, one float at a time (what the SIMD kernels are tested against).</summary>
    public static float DotScalar(float* a, float* b, int n)
    {
        float sum = 0;
        for (int i = 0; i < n; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    /// <summary>Reference squared Euclidean distance, one float at a time.</summary>
    public static float L2SquaredScalar(float* a, float* b, int n)
    {
        float sum = 0;
        for (int i = 0; i < n; i++)
        {
            float d = a[i] - b[i];
            sum += d * d;
        }

        return sum;
    }

    /// <summary>Span overload of <see cref="Dot(float*, float*, int)"/> (lengths must match).</summary>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException("vector lengths differ", nameof(b));
        }

        fixed (float* pa = a, pb = b)
        {
            return Dot(pa, pb, a.Length);
        }
    }

    /// <summary>Span overload of <see cref="L2Squared(float*, float*, int)"/> (lengths must match).</summary>
    public static float L2Squared(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException("vector lengths differ", nameof(b));
        }

        fixed (float* pa = a, pb = b)
        {
            return L2Squared(pa, pb, a.Length);
        }
    }
}
