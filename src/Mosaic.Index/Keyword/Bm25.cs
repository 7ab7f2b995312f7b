namespace Mosaic.Index.Keyword;

/// <summary>Lucene's BM25 (k1 = 1.2, b = 0.75), in Lucene 8's form, with its one-byte document-length norms.</summary>
/// <remarks>
/// <para>score(q, d) = Σ over query terms t of idf(t) · tf / (tf + k1 · (1 − b + b · |d| / avgdl)), where
/// idf(t) = ln(1 + (N − df + 0.5) / (df + 0.5)) is always positive, N is the number of live documents, df the live
/// documents holding t, avgdl = (Σ|d|) / N, and |d| is the document's token count as stored by Lucene: encoded in one
/// byte (<see cref="EncodeLength"/>: exact below 24, then 4 significant bits) and decoded back. A query term that
/// occurs twice counts twice, as two SHOULD clauses do in Lucene. Since Lucene 8 the numerator has no (k1 + 1) factor:
/// a constant that changes no ranking.</para>
/// <para>Per-term scores are computed in float and summed in double in query-term order, so that the same document
/// gets the same score bits whatever shard it lives in and whatever order the scorer visited the terms.</para>
/// </remarks>
public static class Bm25
{
    public const float K1 = 1.2f;
    public const float B = 0.75f;

    private const int MaxInt4 = 231; // LongToInt4(int.MaxValue)
    private const int FreeValues = 255 - MaxInt4; // lengths below 24 are stored exactly

    /// <summary>Decoded length of each norm byte.</summary>
    public static readonly int[] LengthTable = BuildLengthTable();

    /// <summary>ln(1 + (N − df + 0.5) / (df + 0.5)), as Lucene computes it.</summary>
    public static float Idf(long docCount, long docFreq) => (float)Math.Log(1 + ((docCount - docFreq + 0.5D) / (docFreq + 0.5D)));

    /// <summary>The term-independent part of the denominator for a norm: k1 · (1 − b + b · |d| / avgdl).</summary>
    public static float Norm(byte norm, float averageLength) => K1 * ((1 - B) + (B * LengthTable[norm] / averageLength));

    /// <summary>One term's contribution: weight · tf / (tf + norm).</summary>
    public static float TermScore(float weight, int tf, float norm) => weight * (tf / (tf + norm));

    /// <summary>Average document length as Lucene computes it: total tokens over documents, 1 for an empty collection.</summary>
    public static float AverageLength(long docCount, long totalLength) => docCount <= 0 || totalLength <= 0 ? 1f : (float)((double)totalLength / docCount);

    /// <summary>Lucene's <c>SmallFloat.intToByte4</c>: a document length in one byte.</summary>
    public static byte EncodeLength(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        return length < FreeValues ? (byte)length : (byte)(FreeValues + LongToInt4(length - FreeValues));
    }

    private static int LongToInt4(long value)
    {
        int bits = 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)value);
        if (bits < 4)
        {
            return (int)value;
        }

        int shift = bits - 4;
        return (int)((value >> shift) & 0x07) | ((shift + 1) << 3);
    }

    private static long Int4ToLong(int value)
    {
        long bits = value & 0x07;
        int shift = (value >> 3) - 1;
        return shift == -1 ? bits : (bits | 0x08) << shift;
    }

    private static int[] BuildLengthTable()
    {
        var table = new int[256];
        for (int i = 0; i < 256; i++)
        {
            table[i] = i < FreeValues ? i : (int)Math.Min(FreeValues + Int4ToLong(i - FreeValues), int.MaxValue);
        }

        return table;
    }
}
