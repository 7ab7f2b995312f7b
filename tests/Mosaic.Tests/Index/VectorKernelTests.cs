using Mosaic.Index.Kernels;
using Xunit;

namespace Mosaic.Tests.Index;

/// <summary>The SIMD distance kernels agree with the scalar reference for every length, aligned or not.</summary>
public sealed unsafe class VectorKernelTests
{
    [Fact]
    public void SimdKernelsEqualScalarReference()
    {
        var random = new Random(17);
        for (int n = 0; n <= 300; n++)
        {
            for (int offset = 0; offset < 2; offset++)
            {
                var a = new float[n + offset];
                var b = new float[n + offset];
                for (int i = 0; i < a.Length; i++)
                {
                    a[i] = (float)((random.NextDouble() * 2) - 1);
                    b[i] = (float)((random.NextDouble() * 2) - 1);
                }

                fixed (float* pa = a, pb = b)
                {
                    float* x = pa + offset, y = pb + offset;
                    AssertClose(VectorKernels.DotScalar(x, y, n), VectorKernels.Dot(x, y, n), n);
                    AssertClose(VectorKernels.L2SquaredScalar(x, y, n), VectorKernels.L2Squared(x, y, n), n);
                }
            }
        }
    }

    [Fact]
    public void SpanOverloadsCheckLengths()
    {
        Assert.Equal(11f, VectorKernels.Dot([1, 2, 3], [3, 1, 2]));
        Assert.Equal(9f, VectorKernels.L2Squared([1, 2, 3], [1, 2, 0]));
        Assert.Throws<ArgumentException>(() => VectorKernels.Dot([1, 2], [1]));
        Assert.Equal(16, VectorKernels.PaddedLength(1));
        Assert.Equal(384, VectorKernels.PaddedLength(384));
    }

    private static void AssertClose(float expected, float actual, int n)
    {
        // Summation order differs (lanes, then a horizontal sum): allow float rounding proportional to the length.
        float tolerance = 1e-5f * (n + 1);
        Assert.True(MathF.Abs(expected - actual) <= tolerance, $"n={n}: scalar {expected} vs simd {actual}");
    }
}
