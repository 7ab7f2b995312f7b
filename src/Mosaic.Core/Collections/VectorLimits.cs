using Mosaic.Core.Errors;

namespace Mosaic.Core.Collections;

/// <summary>What a document or query vector must be for every score computed with it to be a finite number.</summary>
/// <remarks>
/// Scores are float32 sums over the dimensions. Finite components alone do not make them finite: a stored
/// <c>[3e38, 3e38]</c> overflows every dot product and L2 distance it takes part in, so each search that reached it
/// failed (a score of infinity cannot be written as JSON), and under cosine it normalized to zeros; components near
/// 1e-45 underflow the length to zero, so the vector was never normalized and ranked by raw size. Hence:
/// <list type="bullet">
/// <item>|component| ≤ <see cref="MaxComponent"/> (1e15): a dot product of two such vectors is at most D·1e30 and an L2
/// distance 4·D·1e30, ≤ 1.7e34 at the largest dimension (4096), far below float32's 3.4e38;</item>
/// <item>under cosine, a squared length of at least <see cref="MinCosineSquaredLength"/> (1e-30), so the length does not
/// underflow in float32 (smallest normal 1.2e-38) and normalizing keeps its precision.</item>
/// </list>
/// </remarks>
public static class VectorLimits
{
    /// <summary>The largest magnitude of a vector component.</summary>
    public const float MaxComponent = 1e15f;

    /// <summary>The smallest squared length of a cosine vector.</summary>
    public const double MinCosineSquaredLength = 1e-30;

    /// <summary>Throws a 400 naming the first component that breaks the limits (<paramref name="where"/> prefixes the field, e.g. "line 3: ").</summary>
    public static void Check(ReadOnlySpan<float> vector, VectorMetric metric, string where = "")
    {
        double squared = 0;
        for (int i = 0; i < vector.Length; i++)
        {
            float v = vector[i];
            if (!float.IsFinite(v))
            {
                throw MosaicException.Invalid($"{where}vector[{i}]: must be a finite number (NaN and Infinity are not allowed)");
            }

            if (MathF.Abs(v) > MaxComponent)
            {
                throw MosaicException.Invalid($"{where}vector[{i}]: {v} is out of range; components must be within ±1e15 so that scores stay finite");
            }

            squared += (double)v * v;
        }

        if (metric != VectorMetric.Cosine)
        {
            return;
        }

        if (squared == 0)
        {
            throw MosaicException.Invalid($"{where}vector: an all-zero vector has no direction, so cosine similarity is undefined");
        }

        if (squared < MinCosineSquaredLength)
        {
            throw MosaicException.Invalid($"{where}vector: its length ({Math.Sqrt(squared):G3}) is too close to zero to give it a direction; scale it up (cosine does not depend on length)");
        }
    }
}
