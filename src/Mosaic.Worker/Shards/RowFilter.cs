using System.Buffers;
using Mosaic.Core.Search;
using Mosaic.Index;

namespace Mosaic.Worker.Shards;

/// <summary>A <see cref="Filter"/> compiled against a shard's <see cref="RowTable"/>: field names resolved, keyword values coded.</summary>
/// <remarks>
/// Finding the allowed rows picks the cheapest plan by estimated matches: the candidates of the filter's most selective
/// indexed condition — a keyword value's posting list (<see cref="RowPostings"/>) or a number range's run of the sorted
/// column (<see cref="RowNumbers"/>); an <c>and</c> takes its smallest child, an <c>or</c> of indexed children their
/// union — each candidate then checked against the whole filter; or a scan of every row when nothing narrows it enough.
/// </remarks>
internal sealed class RowFilter : ILabelFilter
{
    /// <summary>
    /// A candidate from a posting list costs a random column read plus the predicate, a scanned row a sequential read
    /// plus the predicate; below a quarter of the table the postings win by a wide margin, above it the scan is simpler.
    /// </summary>
    private const int ScanCostRatio = 4;

    /// <summary>
    /// Another indexed condition of an <c>and</c> is marked in a bitmap when it has at most this many times the driving
    /// condition's candidates: marking is a sequential read and a bit set in a small bitmap, where checking a candidate
    /// against it is a random read into a large column (~50x dearer once the table outgrows the cache).
    /// </summary>
    private const int SieveRatio = 16;

    private readonly RowTable _rows;
    private readonly Func<long, bool> _predicate;
    private readonly Plan? _plan;
    private readonly Plan[] _sieves;
    private readonly bool _exact;

    private RowFilter(RowTable rows, Func<long, bool> predicate, Plan? plan, Plan[] sieves, bool exact)
    {
        _rows = rows;
        _predicate = predicate;
        _plan = plan;
        _sieves = sieves;
        _exact = exact;
    }

    /// <summary>Null filter means every live row.</summary>
    public static RowFilter Compile(RowTable rows, Filter? filter)
    {
        if (filter is null)
        {
            return new(rows, static _ => true, null, [], false);
        }

        if (filter is not Filter.And and)
        {
            var plan = PlanFor(rows, filter);
            return new(rows, Build(rows, filter), plan, [], plan is { Exact: true });
        }

        // An and is driven by its most selective indexed condition; its other selective indexed conditions sieve the
        // driver's candidates through bitmaps before each survivor is checked against the whole filter.
        long cap = rows.RowLimit / ScanCostRatio + 1;
        var plans = and.Items.Select(i => PlanFor(rows, i)).ToArray();
        var parts = plans.OfType<Plan>().ToList();
        var driver = parts.MinBy(p => p.Estimate);
        var sieves = driver is null
            ? []
            : parts.Where(p => !ReferenceEquals(p, driver) && p.Estimate < cap && p.Estimate <= SieveRatio * driver.Estimate).ToArray();
        bool exact = driver is not null && Array.TrueForAll(plans, p => p is { Exact: true } && (ReferenceEquals(p, driver) || Array.Exists(sieves, s => ReferenceEquals(s, p))));
        return new(rows, Build(rows, filter), driver, sieves, exact);
    }

    /// <summary>How many conditions besides the driving one sieve its candidates through bitmaps (for tests).</summary>
    public int Sieves => _sieves.Length;

    /// <summary>How many rows the index plan would visit, or null when only a scan can answer (for tests and logs).</summary>
    public long? EstimatedCandidates => _plan?.Estimate;

    public bool Allows(long label) => _rows.IdOf(label) is not null && _predicate(label);

    /// <summary>Whether every hit is allowed: the check of an unchecked plan's answers (<see cref="AllowedRows"/>).</summary>
    public bool AllowsAll(ReadOnlySpan<VectorHit> hits)
    {
        foreach (var hit in hits)
        {
            if (!Allows(hit.Label))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Allowed row ids in ascending order, at most <paramref name="stopAfter"/>, by the cheaper plan.</summary>
    /// <param name="stopAfter">The most rows wanted.</param>
    /// <param name="checkEach">False lets a plan whose indexes answer every condition exactly skip checking each row
    /// against the row table; the caller then checks its final answers with <see cref="AllowsAll"/> and asks again with
    /// true when one fails. The indexes and the table agree except for a row whose change is being applied while the
    /// search reads them, so the one check of the top k replaces thousands of random reads into the table's columns.</param>
    public List<long> AllowedRows(int stopAfter, bool checkEach = true)
    {
        if (_plan is { } plan && plan.Estimate * ScanCostRatio < _rows.RowLimit)
        {
            bool check = checkEach || !_exact;
            return _sieves.Length == 0 ? FromCandidates(plan, stopAfter, check) : FromBitmaps(plan, stopAfter, check);
        }

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

    /// <summary>The driver's candidates listed, each checked against the whole filter.</summary>
    private List<long> FromCandidates(Plan plan, int stopAfter, bool check)
    {
        var candidates = new List<long>((int)Math.Min(plan.Estimate, 1 << 20));
        plan.AddTo(candidates);
        if (plan.Unordered)
        {
            candidates.Sort();
        }

        var matching = new List<long>(Math.Min(candidates.Count, stopAfter));
        long previous = -1;
        foreach (long r in candidates)
        {
            if (r != previous && (!check || Allows(r)))
            {
                matching.Add(r);
                if (matching.Count >= stopAfter)
                {
                    break;
                }
            }

            previous = r;
        }

        return matching;
    }

    /// <summary>
    /// The driver's and the sieves' candidates marked in bitmaps and intersected a word at a time; only the rows left are
    /// checked against the whole filter (in row order, so no sort). A row added after the bitmaps were sized is missed,
    /// as a change that had not finished when the search began may be.
    /// </summary>
    private List<long> FromBitmaps(Plan plan, int stopAfter, bool check)
    {
        int words = (int)((_rows.RowLimit + 63) >> 6);
        var bitmaps = new ulong[_sieves.Length + 1][];
        try
        {
            for (int i = 0; i < bitmaps.Length; i++)
            {
                bitmaps[i] = ArrayPool<ulong>.Shared.Rent(words);
                Array.Clear(bitmaps[i], 0, words);
                (i == 0 ? plan : _sieves[i - 1]).Mark(bitmaps[i]);
            }

            var matching = new List<long>((int)Math.Min(stopAfter, Math.Min(plan.Estimate, 1 << 20)));
            var driver = bitmaps[0];
            for (int w = 0; w < words; w++)
            {
                ulong word = driver[w];
                for (int i = 1; i < bitmaps.Length && word != 0; i++)
                {
                    word &= bitmaps[i][w];
                }

                while (word != 0)
                {
                    long r = ((long)w << 6) + System.Numerics.BitOperations.TrailingZeroCount(word);
                    word &= word - 1;
                    if (!check || Allows(r))
                    {
                        matching.Add(r);
                        if (matching.Count >= stopAfter)
                        {
                            return matching;
                        }
                    }
                }
            }

            return matching;
        }
        finally
        {
            foreach (var bits in bitmaps)
            {
                if (bits is not null)
                {
                    ArrayPool<ulong>.Shared.Return(bits);
                }
            }
        }
    }

    /// <summary>An index plan for <paramref name="filter"/>, or null when a part of it needs a scan.</summary>
    /// <remarks>Number conditions are counted only up to the size at which a scan wins: a wide range costs no more to plan.</remarks>
    private static Plan? PlanFor(RowTable rows, Filter filter)
    {
        long cap = rows.RowLimit / ScanCostRatio + 1;
        switch (filter)
        {
            case Filter.NumberRange r:
                var column = rows.Sorted(rows.NumberIndex(r.Field));
                return new Plan(
                    column.CountWithin(r.Min, r.MinInclusive, r.Max, r.MaxInclusive, cap),
                    true, // value order, not row order
                    true,
                    list => column.AddWithin(r.Min, r.MinInclusive, r.Max, r.MaxInclusive, list),
                    bits => column.MarkWithin(r.Min, r.MinInclusive, r.Max, r.MaxInclusive, bits));
            case Filter.NumberIn n:
                var sorted = rows.Sorted(rows.NumberIndex(n.Field));
                var values = n.Values.Distinct().ToArray();
                long estimate = values.Sum(v => sorted.CountWithin(v, true, v, true, cap));
                return new Plan(
                    estimate,
                    true,
                    true,
                    list => Array.ForEach(values, v => sorted.AddWithin(v, true, v, true, list)),
                    bits => Array.ForEach(values, v => sorted.MarkWithin(v, true, v, true, bits)));
            case Filter.KeywordIn k:
                int field = rows.KeywordIndex(k.Field);
                var postings = k.Values.Select(v => rows.Postings(field, rows.KeywordCode(field, v))).OfType<RowPostings>().Distinct().ToArray();
                // A row has one value per field, so the lists are disjoint; several of them interleave and need a sort.
                return new Plan(
                    postings.Sum(p => (long)p.Count),
                    postings.Length > 1,
                    true,
                    list => Array.ForEach(postings, p => p.AddTo(list)),
                    bits => Array.ForEach(postings, p => p.MarkIn(bits)));
            case Filter.And and:
                // Its smallest child only: a superset of the and's rows.
                return and.Items.Select(i => PlanFor(rows, i)).OfType<Plan>().MinBy(p => p.Estimate) is { } smallest
                    ? smallest with { Exact = false }
                    : null;
            case Filter.Or or:
                var parts = or.Items.Select(i => PlanFor(rows, i)).ToArray();
                return Array.Exists(parts, p => p is null)
                    ? null
                    : new Plan(parts.Sum(p => p!.Estimate), true, Array.TrueForAll(parts, p => p!.Exact), list => Array.ForEach(parts, p => p!.AddTo(list)), bits => Array.ForEach(parts, p => p!.Mark(bits)));
            default:
                return null;
        }
    }

    /// <summary>Candidate rows from posting lists or sorted columns: a superset of the allowed rows, with its size; listed
    /// (<c>AddTo</c>) or marked in a bitmap indexed by row (<c>Mark</c>). <c>Exact</c> when the candidates are exactly the
    /// rows the condition allows, as of the indexes (a posting list, a sorted column's range, an or of exact parts).</summary>
    private sealed record Plan(long Estimate, bool Unordered, bool Exact, Action<List<long>> AddTo, Action<ulong[]> Mark);

    private static Func<long, bool> Build(RowTable rows, Filter filter)
    {
        switch (filter)
        {
            // Plain loops: a lambda over the row inside these (Array.TrueForAll(all, p => p(r))) allocated a closure and a
            // delegate per row tested, thousands per filtered search.
            case Filter.And and:
                var all = and.Items.Select(f => Build(rows, f)).ToArray();
                return r =>
                {
                    foreach (var p in all)
                    {
                        if (!p(r))
                        {
                            return false;
                        }
                    }

                    return true;
                };
            case Filter.Or or:
                var any = or.Items.Select(f => Build(rows, f)).ToArray();
                return r =>
                {
                    foreach (var p in any)
                    {
                        if (p(r))
                        {
                            return true;
                        }
                    }

                    return false;
                };
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
