using System.Runtime.Intrinsics.X86;
using Mosaic.Index.Kernels;
using Xunit;

namespace Mosaic.Tests.Index;

/// <summary>The int8 SIMD kernels (AVX-512BW and AVX2, whichever the CPU has) equal the scalar reference, and Hamming counts bits.</summary>
public sealed unsafe class QuantizedKernelTests
{
    [Fact]
    public void Int8KernelsEqualScalarReferenceOnEveryLength()
    {
        var random = new Random(5);
        int checkedPaths = 0;
        for (int n = 1; n <= 300; n++)
        {
            var a = new sbyte[n];
            var b = new sbyte[n];
            for (int i = 0; i < n; i++)
            {
                // Extremes included: -127 * -127 pairs are the largest products the codes produce.
                a[i] = (sbyte)(i % 17 == 0 ? -127 : random.Next(-127, 128));
                b[i] = (sbyte)(i % 13 == 0 ? -127 : random.Next(-127, 128));
            }

            fixed (sbyte* pa = a, pb = b)
            {
                int dot = QuantizedKernels.DotInt8Scalar(pa, pb, n);
                int l2 = QuantizedKernels.L2SquaredInt8Scalar(pa, pb, n);
                Assert.Equal(a.Zip(b, (x, y) => x * y).Sum(), dot);
                Assert.Equal(a.Zip(b, (x, y) => (x - y) * (x - y)).Sum(), l2);
                Assert.Equal(dot, QuantizedKernels.DotInt8(pa, pb, n));
                Assert.Equal(l2, QuantizedKernels.L2SquaredInt8(pa, pb, n));
                if (Avx2.IsSupported)
                {
                    Assert.Equal(dot, QuantizedKernels.DotInt8Avx2(pa, pb, n));
                    Assert.Equal(l2, QuantizedKernels.L2SquaredInt8Avx2(pa, pb, n));
                    checkedPaths |= 1;
                }

                if (Avx512BW.IsSupported)
                {
                    Assert.Equal(dot, QuantizedKernels.DotInt8Avx512(pa, pb, n));
                    Assert.Equal(l2, QuantizedKernels.L2SquaredInt8Avx512(pa, pb, n));
                    checkedPaths |= 2;
                }
            }
        }

        Assert.Equal((Avx2.IsSupported ? 1 : 0) | (Avx512BW.IsSupported ? 2 : 0), checkedPaths);
    }

    [Fact]
    public void SumWhereSetEqualsScalarReference()
    {
        var random = new Random(6);
        for (int words = 1; words <= 12; words++)
        {
            var q = new float[words * 64];
            var bits = new ulong[words];
            for (int i = 0; i < q.Length; i++)
            {
                q[i] = (float)(random.NextDouble() - 0.5);
            }

            for (int w = 0; w < words; w++)
            {
                bits[w] = w == 0 ? ulong.MaxValue : (ulong)random.NextInt64() ^ ((ulong)random.Next() << 40);
            }

            double expected = 0;
            for (int d = 0; d < q.Length; d++)
            {
                expected += (bits[d / 64] >> (d % 64) & 1) == 1 ? q[d] : 0;
            }

            fixed (float* pq = q)
            fixed (ulong* pb = bits)
            {
                Assert.Equal(expected, QuantizedKernels.SumWhereSetScalar(pq, pb, words), 3);
                Assert.Equal(expected, QuantizedKernels.SumWhereSet(pq, pb, words), 3);
            }
        }
    }

    [Fact]
    public void HammingCountsDifferingBits()
    {
        ulong[] a = [0b1011UL, ulong.MaxValue, 0];
        ulong[] b = [0b0001UL, 0, 0];
        fixed (ulong* pa = a, pb = b)
        {
            Assert.Equal(2 + 64, QuantizedKernels.Hamming(pa, pb, 3));
            Assert.Equal(0, QuantizedKernels.Hamming(pa, pa, 3));
        }
    }
}
