using Mosaic.Core.Search;

namespace Mosaic.Worker.Shards;

/// <summary>One condition of an <c>and</c> checked against the row table's columns for a batch of candidate rows.</summary>
/// <remarks>
/// The driving condition of an <c>and</c> lists its candidates in row order (<see cref="RowFilter"/>); every other condition
/// keeps only the candidates it allows. Number ranges and keyword values read their column chunk by chunk (rows in order
/// fall in the same 4096-row chunk, so the directory is read once per chunk and the column lines stream); any other
/// condition is checked through its compiled predicate. Reads the table as it is now, like <see cref="RowFilter.Allows"/>.
/// </remarks>
internal abstract class RowProbe
{
    /// <summary>Keeps, in order, the rows of <paramref name="rows"/> the condition allows; returns how many are kept.</summary>
    /// <param name="rows">Candidate rows in ascending order.</param>
    public abstract int Keep(Span<long> rows);

    /// <param name="table">The rows.</param>
    /// <param name="filter">The condition.</param>
    /// <param name="predicate">The condition compiled (<c>RowFilter.Build</c>).</param>
    /// <param name="narrow">Whether the condition's own index holds few enough rows (under a quarter of the table) that
    /// marking them all in a bitmap, reused by later searches (<see cref="RowNumbers.Bitmap"/>), is worth it.</param>
    public static RowProbe For(RowTable table, Filter filter, Func<long, bool> predicate, bool narrow) => filter switch
    {
        Filter.NumberRange r => new RangeProbe(table, table.NumberIndex(r.Field), r, narrow),
        Filter.KeywordIn { Values.Count: 1 } k when table.KeywordIndex(k.Field) is var field =>
            new KeywordProbe(table, field, table.KeywordCode(field, k.Values[0])),
        _ => new PredicateProbe(predicate),
    };

    /// <summary>
    /// A number range, as <c>RowFilter.Build</c> tests it (a missing value, NaN, is outside every range): by the range's
    /// bitmap when one is current or worth building, else by the value column.
    /// </summary>
    private sealed class RangeProbe(RowTable table, int field, Filter.NumberRange range, bool narrow) : RowProbe
    {
        private ulong[]? _bits;

        public override int Keep(Span<long> rows)
        {
            var bits = _bits ??= table.Sorted(field).Bitmap(range.Min, range.MinInclusive, range.Max, range.MaxInclusive, table.RowLimit, narrow);
            return bits is null ? KeepByColumn(rows) : KeepByBits(rows, bits);
        }

        private static int KeepByBits(Span<long> rows, ulong[] bits)
        {
            int kept = 0;
            foreach (long r in rows)
            {
                // Written always, kept by the bit: a fifth of the rows pass at random, so a branch would mispredict often.
                // A row beyond the bitmap was added after it was built without a value (a value would have made another).
                rows[kept] = r;
                kept += (ulong)(r >> 6) < (ulong)bits.Length ? (int)((bits[r >> 6] >> (int)(r & 63)) & 1) : 0;
            }

            return kept;
        }

        private int KeepByColumn(Span<long> rows) =>
            KeepWhere(rows, chunk => table.NumberChunk(chunk, field), new Within(range));
    }

    /// <summary>One keyword value (a code; -1 when no row ever had it, which no row matches).</summary>
    private sealed class KeywordProbe(RowTable table, int field, int code) : RowProbe
    {
        public override int Keep(Span<long> rows) =>
            code <= 0 ? 0 : KeepWhere(rows, chunk => table.KeywordChunk(chunk, field), new EqualTo(code));
    }

    /// <summary>Any other condition (an or, a not, a set of values): its compiled predicate, row by row.</summary>
    private sealed class PredicateProbe(Func<long, bool> predicate) : RowProbe
    {
        public override int Keep(Span<long> rows)
        {
            int kept = 0;
            foreach (long r in rows)
            {
                if (predicate(r))
                {
                    rows[kept++] = r;
                }
            }

            return kept;
        }
    }

    /// <summary>Keeps the rows whose value in a column passes <paramref name="test"/>; the column is looked up once per chunk
    /// of rows (<paramref name="chunkOf"/>; null: no row of the chunk was ever written, so none passes).</summary>
    private static int KeepWhere<T, TTest>(Span<long> rows, Func<long, T[]?> chunkOf, TTest test)
        where TTest : struct, IValueTest<T>
    {
        int kept = 0;
        long chunk = -1;
        T[]? column = null;
        foreach (long r in rows)
        {
            if (r >> RowTable.ChunkBits != chunk)
            {
                chunk = r >> RowTable.ChunkBits;
                column = chunkOf(chunk);
            }

            // Written always, kept by the test: without a branch on an outcome that is often random.
            rows[kept] = r;
            kept += column is not null && test.Passes(column[(int)(r & ((1 << RowTable.ChunkBits) - 1))]) ? 1 : 0;
        }

        return kept;
    }

    private interface IValueTest<T>
    {
        bool Passes(T value);
    }

    /// <summary>A number range; open bounds are infinities, so a value is compared twice, and NaN (missing) fails both.</summary>
    private readonly struct Within(Filter.NumberRange range) : IValueTest<double>
    {
        private readonly double _lo = range.Min ?? double.NegativeInfinity;
        private readonly double _hi = range.Max ?? double.PositiveInfinity;
        private readonly bool _loInclusive = range.MinInclusive || range.Min is null;
        private readonly bool _hiInclusive = range.MaxInclusive || range.Max is null;

        public bool Passes(double v) => (_loInclusive ? v >= _lo : v > _lo) & (_hiInclusive ? v <= _hi : v < _hi);
    }

    private readonly struct EqualTo(int code) : IValueTest<int>
    {
        public bool Passes(int value) => value == code;
    }
}
