using System.Runtime.Intrinsics.X86;
using Mosaic.Index.Kernels;
using Mosaic.Index.Quantization;
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
    public void BiasedInt8DotEqualsScalarReferenceOnEveryLengthAndIsTheDotShiftedBy128TimesTheQuerySum()
    {
        var random = new Random(7);
        for (int n = 1; n <= 300; n++)
        {
            var a = new sbyte[n];
            var b = new sbyte[n];
            for (int i = 0; i < n; i++)
            {
                // Extremes: -127 codes become 1 after the sign flip, 127 become 255 (the largest unsigned operand).
                a[i] = (sbyte)(i % 11 == 0 ? 127 : i % 7 == 0 ? -127 : random.Next(-127, 128));
                b[i] = (sbyte)(i % 13 == 0 ? -127 : random.Next(-127, 128));
            }

            fixed (sbyte* pa = a, pb = b)
            {
                int reference = QuantizedKernels.DotInt8BiasedScalar(pa, pb, n);
                Assert.Equal(a.Zip(b, (x, y) => (x + 128) * y).Sum(), reference);
                Assert.Equal(QuantizedKernels.DotInt8Scalar(pa, pb, n) + (128 * b.Sum(x => x)), reference);
                Assert.Equal(reference, QuantizedKernels.DotInt8Biased(pa, pb, n));
                if (AvxVnni.IsSupported)
                {
                    Assert.Equal(reference, QuantizedKernels.DotInt8BiasedVnni(pa, pb, n));
                }
            }
        }

        // The longest code (65536 dimensions) at the largest products does not overflow.
        var big = Enumerable.Repeat((sbyte)127, 65536).ToArray();
        var low = Enumerable.Repeat((sbyte)-127, 65536).ToArray();
        fixed (sbyte* pa = big, pb = low)
        {
            Assert.Equal(65536 * 255 * -127, QuantizedKernels.DotInt8BiasedScalar(pa, pb, 65536));
            Assert.Equal(65536 * 255 * -127, QuantizedKernels.DotInt8Biased(pa, pb, 65536));
        }
    }

    [Fact]
    public void Int8EncodingEqualsTheScalarReferenceOnEveryLength()
    {
        var random = new Random(8);
        for (int n = 1; n <= 300; n++)
        {
            var v = new float[n];
            var centre = new float[n];
            for (int i = 0; i < n; i++)
            {
                // Ties (x.5 rounds to even), values far outside the range (clamped to +-127) and ordinary ones.
                v[i] = i % 9 == 0 ? (i % 2 == 0 ? 2.5f : -3.5f) : i % 10 == 0 ? (i % 20 == 0 ? 1e6f : -1e6f) : (float)((random.NextDouble() * 300) - 150);
                centre[i] = i % 9 == 0 ? 0f : (float)(random.NextDouble() - 0.5);
            }

            var simd = new sbyte[n];
            var scalar = new sbyte[n];
            fixed (float* pv = v, pc = centre)
            fixed (sbyte* ps = simd, pr = scalar)
            {
                QuantizationCodec.EncodeInt8(pv, pc, ps, n, 1f);
                QuantizationCodec.EncodeInt8Scalar(pv, pc, pr, n, 1f);
            }

            Assert.Equal(scalar, simd);
            Assert.Contains(scalar, c => c is 127 or -127 || n <= 10);
        }
    }

    [Fact]
    public void BitPlaneSumEqualsTheSumOfLevelsOverSetBitsOnEveryPath()
    {
        var random = new Random(6);
        int checkedPaths = 0;
        for (int words = 1; words <= 26; words++)
        {
            // Planes are laid out per 8 words; a partial last group still has its slots.
            var levels = new int[words * 64];
            var planes = new ulong[((words + 7) / 8) * 32];
            var bits = new ulong[words];
            for (int d = 0; d < levels.Length; d++)
            {
                // Level 15 everywhere in the first word: the largest byte sums the SIMD paths accumulate.
                levels[d] = d < 64 ? 15 : random.Next(16);
                for (int j = 0; j < 4; j++)
                {
                    planes[QuantizedKernels.PlaneWord(d / 64, j)] |= (ulong)((levels[d] >> j) & 1) << (d % 64);
                }
            }

            for (int w = 0; w < words; w++)
            {
                bits[w] = w == 0 ? ulong.MaxValue : (ulong)random.NextInt64() ^ ((ulong)random.Next() << 40);
            }

            int expected = 0, expectedOnes = 0;
            for (int d = 0; d < levels.Length; d++)
            {
                if ((bits[d / 64] >> (d % 64) & 1) == 1)
                {
                    expected += levels[d];
                    expectedOnes++;
                }
            }

            fixed (ulong* pp = planes)
            fixed (ulong* pb = bits)
            {
                Assert.Equal(expected, QuantizedKernels.BitPlaneSumScalar(pp, pb, words));
                Assert.Equal(expected, QuantizedKernels.BitPlaneSum(pp, pb, words));
                Assert.Equal(expectedOnes, QuantizedKernels.PopCount(pb, words));
                if (Avx2.IsSupported)
                {
                    Assert.Equal(expected, QuantizedKernels.BitPlaneSumAvx2(pp, pb, words));
                    checkedPaths |= 1;
                }

                if (Avx512BW.IsSupported)
                {
                    Assert.Equal(expected, QuantizedKernels.BitPlaneSumAvx512(pp, pb, words));
                    checkedPaths |= 2;
                }
            }
        }

        Assert.Equal((Avx2.IsSupported ? 1 : 0) | (Avx512BW.IsSupported ? 2 : 0), checkedPaths);
    }

    [Theory]
    [InlineData(16, int.MaxValue, 16, 0.5f)]
    [InlineData(384, int.MaxValue, 512, 0.5f)]
    [InlineData(1000, int.MaxValue, 1024, 0.5f)]
    [InlineData(1000, 1024, 1024, 0.5f)]

    // Fitted to a code between two powers of two: transforms of 1024 (2048) over the front and the back of 1536 (3072)
    // coordinates. A unit vector then keeps at most ~2 % of its length² in any coordinate (a random one of 1536: ~1 %).
    [InlineData(1100, 1536, 1536, 0.15f)]
    [InlineData(1536, 1536, 1536, 0.15f)]
    [InlineData(3072, 3072, 3072, 0.15f)]
    public void HadamardRotationKeepsNormsAndDotProducts(int dimension, int maxLength, int length, float maxCoordinate)
    {
        var rotation = new HadamardRotation(dimension, maxLength);
        Assert.Equal(length, rotation.Length);
        var random = new Random(dimension);
        var a = new float[rotation.Length];
        var b = new float[rotation.Length];
        for (int i = 0; i < dimension; i++)
        {
            a[i] = (float)(random.NextDouble() - 0.5);
            b[i] = (float)(random.NextDouble() - 0.5);
        }

        double dot = Dot(a, b), normA = Dot(a, a);
        fixed (float* pa = a)
        fixed (float* pb = b)
        {
            rotation.Apply(pa);
            rotation.Apply(pb);
        }

        Assert.Equal(normA, Dot(a, a), 3);
        Assert.Equal(dot, Dot(a, b), 3);

        // It mixes: no coordinate keeps much of a unit vector at either end.
        foreach (int at in new[] { 0, dimension - 1 })
        {
            var unit = new float[rotation.Length];
            unit[at] = 1;
            fixed (float* pu = unit)
            {
                rotation.Apply(pu);
            }

            Assert.All(unit, x => Assert.True(Math.Abs(x) < maxCoordinate, $"coordinate {x} of e{at}"));
        }

        static double Dot(float[] x, float[] y) => x.Zip(y, (p, q) => (double)p * q).Sum();
    }

    [Theory]
    [InlineData(16)]
    [InlineData(32)]
    [InlineData(512)]
    [InlineData(1024)]
    public void WalshHadamardPathsEqualTheScalarButterflies(int n)
    {
        var random = new Random(n);
        var input = new float[n];
        for (int i = 0; i < n; i++)
        {
            input[i] = (float)(random.NextDouble() - 0.5);
        }

        float[] reference = [.. input], portable = [.. input], avx512 = [.. input];
        fixed (float* r = reference, p = portable, a = avx512)
        {
            HadamardRotation.TransformScalar(r, n);
            HadamardRotation.TransformPortable(p, n);
            if (Avx512F.IsSupported)
            {
                HadamardRotation.TransformAvx512(a, n);
            }
        }

        // The register stages make the same additions in the same order as the butterflies: equal bit for bit.
        if (Avx512F.IsSupported)
        {
            Assert.Equal(reference, avx512);
        }

        // The 16x16 product sums in another order: equal up to rounding (values are sums of n terms below 0.5).
        for (int i = 0; i < n; i++)
        {
            Assert.True(Math.Abs(reference[i] - portable[i]) < 1e-4f, $"coordinate {i}: {portable[i]} vs {reference[i]}");
        }

        // A transform applied twice is n times the identity.
        fixed (float* r = reference)
        {
            HadamardRotation.TransformScalar(r, n);
        }

        for (int i = 0; i < n; i++)
        {
            Assert.Equal((double)input[i] * n, reference[i], 2e-3 * n);
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
