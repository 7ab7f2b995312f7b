using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Mosaic.Index.Quantization;

/// <summary>
/// A fixed random rotation of R^n: three rounds of random sign flips, each followed by a fast Walsh-Hadamard
/// transform, scaled to be orthonormal. n is a power of two, or (<see cref="HadamardRotation(int, int)"/>) a length
/// between two, rotated by transforms of the largest power of two below it, over its front and then its back.
/// </summary>
/// <remarks>
/// Why: one bit per dimension wastes bits on dimensions of small variance and cannot weigh large ones (embeddings
/// and the bench's sets have spectra that decay). After a random rotation every coordinate carries about the same
/// share of the variance, so each sign bit carries about the same information (RaBitQ's argument), and the
/// transform costs n·log2(n) additions instead of the n² multiplies of a dense rotation: ~1 µs for a 384-d query.
/// The signs come from a fixed SplitMix64 stream, so the rotation is the same in every process and file version
/// and need not be stored.
/// </remarks>
internal sealed unsafe class HadamardRotation
{
    private const int Rounds = 3;

    // Column c of the 16x16 Hadamard matrix: entry r is (-1)^popcount(r & c).
    private static readonly Vector512<float>[] Columns = [.. Enumerable.Range(0, 16).Select(c =>
        Vector512.Create([.. Enumerable.Range(0, 16).Select(r => (BitOperations.PopCount((uint)(r & c)) & 1) == 0 ? 1f : -1f)]))];

    // Stage h of TransformAvx512 (h = 1, 2, 4, 8): the lane permutation i -> i ^ h, and -1 where bit h of i is set.
    private static readonly Vector512<int>[] Swaps = [.. new[] { 1, 2, 4, 8 }.Select(h => Vector512.Create([.. Enumerable.Range(0, 16).Select(i => i ^ h)]))];
    private static readonly Vector512<float>[] Signs = [.. new[] { 1, 2, 4, 8 }.Select(h => Vector512.Create([.. Enumerable.Range(0, 16).Select(i => (i & h) == 0 ? 1f : -1f)]))];

    private readonly float[] _signs;

    private readonly int _block;

    public HadamardRotation(int dimension)
        : this(dimension, int.MaxValue)
    {
    }

    /// <summary>
    /// A rotation of at most <paramref name="maxLength"/> coordinates (a multiple of 16, at least the dimension): the
    /// dimension's power of two when it fits, else exactly maxLength, so that a code of maxLength bits keeps every
    /// coordinate the vector is spread over (the first maxLength of a longer rotation lose a share of each dot product
    /// that no error bound accounts for: 1536-d on 2048 lost a quarter, and binary recall stopped near 0.75).
    /// </summary>
    /// <remarks>
    /// Each round then flips signs and transforms the first 2^⌊log2 n⌋ coordinates, flips again and transforms the
    /// last as many; the two blocks overlap, so after two rounds every coordinate depends on every input, and each
    /// step is orthonormal, so the whole is.
    /// </remarks>
    public HadamardRotation(int dimension, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        int full = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(dimension, 16));
        if (full > maxLength && (maxLength < dimension || maxLength % 16 != 0))
        {
            throw new ArgumentOutOfRangeException(nameof(maxLength), "a multiple of 16, at least the dimension");
        }

        Length = Math.Min(full, maxLength);
        _block = 1 << BitOperations.Log2((uint)Length);
        _signs = new float[(_block == Length ? 1 : 2) * Rounds * Length];
        ulong state = 0x9E3779B97F4A7C15UL ^ (ulong)Length;
        for (int i = 0; i < _signs.Length; i++)
        {
            state += 0x9E3779B97F4A7C15UL;
            ulong z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            _signs[i] = ((z ^ (z >> 31)) & 1) == 0 ? 1f : -1f;
        }
    }

    /// <summary>Rotated length: the dimension rounded up to a power of two (at least 16).</summary>
    public int Length { get; }

    /// <summary>Rotates <paramref name="v"/> in place (<see cref="Length"/> floats; pad the input with zeros).</summary>
    public void Apply(float* v)
    {
        int n = Length;
        if (_block != n)
        {
            ApplyOverlapped(v);
            return;
        }

        fixed (float* signs = _signs)
        {
            for (int round = 0; round < Rounds; round++)
            {
                float* s = signs + (round * n);
                for (int i = 0; i < n; i += 16)
                {
                    (Vector512.Load(v + i) * Vector512.Load(s + i)).Store(v + i);
                }

                Transform(v, n);
            }
        }

        // Each unnormalized transform scales the norm by sqrt(n).
        var scale = Vector512.Create(1f / (n * MathF.Sqrt(n)));
        for (int i = 0; i < n; i += 16)
        {
            (Vector512.Load(v + i) * scale).Store(v + i);
        }
    }

    private void ApplyOverlapped(float* v)
    {
        int n = Length;
        var scale = Vector512.Create(1f / MathF.Sqrt(_block));
        fixed (float* signs = _signs)
        {
            for (int step = 0; step < 2 * Rounds; step++)
            {
                float* s = signs + (step * n);
                for (int i = 0; i < n; i += 16)
                {
                    (Vector512.Load(v + i) * Vector512.Load(s + i)).Store(v + i);
                }

                // Even steps the front block, odd steps the back one.
                float* block = v + ((step & 1) * (n - _block));
                Transform(block, _block);
                for (int i = 0; i < _block; i += 16)
                {
                    (Vector512.Load(block + i) * scale).Store(block + i);
                }
            }
        }
    }

    /// <summary>In-place unnormalized fast Walsh-Hadamard transform of <paramref name="n"/> (a power of two, at least 16) floats.</summary>
    internal static void Transform(float* v, int n)
    {
        if (Avx512F.IsSupported)
        {
            TransformAvx512(v, n);
        }
        else
        {
            TransformPortable(v, n);
        }
    }

    /// <summary>
    /// The first four butterfly stages inside each 16-float register: lane i takes lane i ^ h by a permute and adds
    /// ±its own value (x[i] + x[i^h] where bit h of i is clear, x[i^h] - x[i] where it is set: the butterfly's a + b
    /// and a - b, so the result equals <see cref="TransformScalar"/> bit for bit). Two instructions per stage and
    /// register instead of the 16 broadcast multiply-adds of <see cref="TransformPortable"/>: the rotation of a 384-d
    /// query (three transforms of 512) took 1.75 µs, most of a query's encoding, before.
    /// </summary>
    internal static void TransformAvx512(float* v, int n)
    {
        var swap1 = Swaps[0];
        var swap2 = Swaps[1];
        var swap4 = Swaps[2];
        var swap8 = Swaps[3];
        var sign1 = Signs[0];
        var sign2 = Signs[1];
        var sign4 = Signs[2];
        var sign8 = Signs[3];
        for (int i = 0; i < n; i += 16)
        {
            var x = Vector512.Load(v + i);
            x = Avx512F.FusedMultiplyAdd(x, sign1, Avx512F.PermuteVar16x32(x, swap1));
            x = Avx512F.FusedMultiplyAdd(x, sign2, Avx512F.PermuteVar16x32(x, swap2));
            x = Avx512F.FusedMultiplyAdd(x, sign4, Avx512F.PermuteVar16x32(x, swap4));
            x = Avx512F.FusedMultiplyAdd(x, sign8, Avx512F.PermuteVar16x32(x, swap8));
            x.Store(v + i);
        }

        WideStages(v, n);
    }

    /// <summary>Without AVX-512: the first four stages as a 16x16 Hadamard product per block of 16 (16 broadcast multiply-adds instead of 64 scalar butterflies).</summary>
    internal static void TransformPortable(float* v, int n)
    {
        for (int i = 0; i < n; i += 16)
        {
            var sum = Vector512<float>.Zero;
            for (int c = 0; c < 16; c++)
            {
                sum += Vector512.Create(v[i + c]) * Columns[c];
            }

            sum.Store(v + i);
        }

        WideStages(v, n);
    }

    /// <summary>Reference: the textbook in-place transform, one butterfly at a time.</summary>
    internal static void TransformScalar(float* v, int n)
    {
        for (int h = 1; h < n; h <<= 1)
        {
            for (int i = 0; i < n; i += h << 1)
            {
                for (int j = i; j < i + h; j++)
                {
                    float a = v[j], b = v[j + h];
                    v[j] = a + b;
                    v[j + h] = a - b;
                }
            }
        }
    }

    /// <summary>The butterfly stages of span 16 and more: whole registers against whole registers.</summary>
    private static void WideStages(float* v, int n)
    {
        for (int h = 16; h < n; h <<= 1)
        {
            for (int i = 0; i < n; i += h << 1)
            {
                for (int j = i; j < i + h; j += 16)
                {
                    var a = Vector512.Load(v + j);
                    var b = Vector512.Load(v + j + h);
                    (a + b).Store(v + j);
                    (a - b).Store(v + j + h);
                }
            }
        }
    }
}
