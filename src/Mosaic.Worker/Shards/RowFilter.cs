using Mosaic.Core.Search;
using Mosaic.Index;

namespace Mosaic.Worker.Shards;

/// <summary>A <see cref="Filter"/> compiled against a shard's <see cref="RowTable"/>: field names resolved, keyword values coded.</summary>
internal sealed class RowFilter : ILabelFilter
{
    private readonly RowTable _rows;
    private readonly Func<long, bool> _predicate;

    private RowFilter(RowTable rows, Func<long, bool> predicate)
    {
        _rows = rows;
        _predicate = predicate;
    }

    /// <summary>Null filter means every live row.</summary>
    public static RowFilter Compile(RowTable rows, Filter? filter) => new(rows, filter is null ? static _ => true : Build(rows, filter));

    public bool Allows(long label) => _rows.IdOf(label) is not null && _predicate(label);

    /// <summary>Every allowed row id, scanning the whole table (fast: column reads only).</summary>
    public List<long> AllowedRows(int stopAfter)
    {
        var allowed = new List<long>();
        long limit = _rows.RowLimit;
        for (long r = 0; r < limit && allowed.Count < stopAfter; r++)
        {
            if (Allows(r))
            {
                allowed.Add(r);
            }
        }

        return allowed;
    }

    private static Func<long, bool> Build(RowTable rows, Filter filter)
    {
        switch (filter)
        {
            case Filter.And and:
                var all = and.Items.Select(f => Build(rows, f)).ToArray();
                return r => Array.TrueForAll(all, p => p(r));
            case Filter.Or or:
                var any = or.Items.Select(f => Build(rows, f)).ToArray();
                return r => Array.Exists(any, p => p(r));
            case Filter.Not not:
                var inner = Build(rows, not.Item);
                return r => !inner(r);
            case Filter.KeywordIn k:
                int field = rows.KeywordIndex(k.Field);
                var codes = k.Values.Select(v => rows.KeywordCode(field, v)).Where(c => c > 0).ToHashSet();
                return codes.Count switch
                {
                    0 => static _ => false,
                    1 => codes.First() is var only ? r => rows.Keyword(r, field) == only : null!,
                    _ => r => codes.Contains(rows.Keyword(r, field)),
                };
            case Filter.NumberIn n:
                int nf = rows.NumberIndex(n.Field);
                var values = n.Values.ToHashSet();
                return r => values.Contains(rows.Number(r, nf));
            case Filter.NumberRange range:
                int rf = rows.NumberIndex(range.Field);
                return r =>
                {
                    double v = rows.Number(r, rf);
                    if (double.IsNaN(v))
                    {
                        return false;
                    }

                    bool aboveMin = range.Min is not double min || (range.MinInclusive ? v >= min : v > min);
                    bool belowMax = range.Max is not double max || (range.MaxInclusive ? v <= max : v < max);
                    return aboveMin && belowMax;
                };
            default:
                throw new ArgumentOutOfRangeException(nameof(filter), filter.GetType().Name);
        }
    }
}
