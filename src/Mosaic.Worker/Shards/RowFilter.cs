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

    /// <summary>Candidates checked per round: small enough that a few wanted rows stop early, large enough that each
    /// condition's loop runs long.</summary>
    private const int ProbeBatch = 1024;

    /// <summary>A thread's candidate list, kept between searches up to this many rows (8 bytes each): listing a driver's
    /// 25k rows then allocates nothing, and a rare huge list is not held for ever.</summary>
    private const int KeptCandidates = 1 << 18;

    [ThreadStatic]
    private static List<long>? t_candidates;

    private readonly RowTable _rows;
    private readonly Func<long, bool> _predicate;
    private readonly Plan? _plan;
    private readonly RowProbe[] _probes;
    private readonly bool _exact;

    private RowFilter(RowTable rows, Func<long, bool> predicate, Plan? plan, RowProbe[] probes, bool exact)
    {
        _rows = rows;
        _predicate = predicate;
        _plan = plan;
        _probes = probes;
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

        // An and is driven by its most selective indexed condition; its other conditions then keep the driver's
        // candidates they allow (RowProbe): a range by its bitmap, built once and reused until the column changes, other
        // conditions by the table's columns. At 1M rows (2 shards) this replaced marking a 20 % price range and the
        // driver's 5 % posting list in fresh bitmaps per search and walking their intersection, ~30 % of a filtered
        // search's CPU (bench/README.md, sixth sitting).
        var predicates = and.Items.Select(i => Build(rows, i)).ToArray();
        var plans = and.Items.Select(i => PlanFor(rows, i)).ToArray();
        int driver = -1;
        for (int i = 0; i < plans.Length; i++)
        {
            if (plans[i] is { } p && (driver < 0 || p.Estimate < plans[driver]!.Estimate))
            {
                driver = i;
            }
        }

        if (driver < 0)
        {
            return new(rows, AllOf(predicates), null, [], false);
        }

        long cap = rows.RowLimit / ScanCostRatio + 1;
        var probes = and.Items
            .Select((item, i) => (item, i))
            .Where(x => x.i != driver)
            .Select(x => RowProbe.For(rows, x.item, predicates[x.i], plans[x.i] is { } p && p.Estimate < cap))
            .ToArray();
        // The probes read the table itself, so only the driver's index decides whether rows need a check of their own.
        return new(rows, AllOf(predicates), plans[driver], probes, plans[driver]!.Exact);
    }

    /// <summary>How many conditions besides the driving one check its candidates (for tests).</summary>
    public int Probes => _probes.Length;

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
    /// <param name="checkEach">False lets a plan whose driving index answers its condition exactly skip checking each row
    /// for liveness and that condition (the other conditions are read from the table anyway); the caller then checks its
    /// final answers with <see cref="AllowsAll"/> and asks again with true when one fails. The indexes and the table agree
    /// except for a row whose change is being applied while the search reads them, so the one check of the top k replaces
    /// thousands of random reads into the table's columns.</param>
    public List<long> AllowedRows(int stopAfter, bool checkEach = true)
    {
        if (_plan is { } plan && plan.Estimate * ScanCostRatio < _rows.RowLimit)
        {
            return FromCandidates(plan, stopAfter, checkEach || !_exact);
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

    /// <summary>
    /// The driver's candidates listed in row order, then a batch at a time either checked against the whole filter
    /// (<paramref name="check"/>) or kept by each other condition's probe.
    /// </summary>
    private List<long> FromCandidates(Plan plan, int stopAfter, bool check)
    {
        var candidates = t_candidates ?? new List<long>();
        t_candidates = null;
        try
        {
            candidates.Clear();
            plan.AddTo(candidates);
            var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(candidates);
            int count = span.Length;
            if (plan.Unordered)
            {
                // Several lists interleave (and an or's parts may overlap): sort, then drop repeats.
                span.Sort();
                count = span.IsEmpty ? 0 : 1;
                for (int i = 1; i < span.Length; i++)
                {
                    if (span[i] != span[count - 1])
                    {
                        span[count++] = span[i];
                    }
                }
            }

            // Survivors are moved to the front of the candidates (never past the batch being checked), then copied once.
            int matched = 0;
            for (int start = 0; start < count && matched < stopAfter; start += ProbeBatch)
            {
                var batch = span.Slice(start, Math.Min(ProbeBatch, count - start));
                int kept = batch.Length;
                if (check)
                {
                    kept = 0;
                    foreach (long r in batch)
                    {
                        if (Allows(r))
                        {
                            batch[kept++] = r;
                        }
                    }
                }
                else
                {
                    for (int p = 0; p < _probes.Length && kept > 0; p++)
                    {
                        kept = _probes[p].Keep(batch[..kept]);
                    }
                }

                kept = Math.Min(kept, stopAfter - matched);
                batch[..kept].CopyTo(span[matched..]);
                matched += kept;
            }

            var matching = new List<long>(matched);
            matching.AddRange(span[..matched]);
            return matching;
        }
        finally
        {
            if (candidates.Capacity <= KeptCandidates)
            {
                t_candidates = candidates;
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
                    list => column.AddWithin(r.Min, r.MinInclusive, r.Max, r.MaxInclusive, list));
            case Filter.NumberIn n:
                var sorted = rows.Sorted(rows.NumberIndex(n.Field));
                var values = n.Values.Distinct().ToArray();
                long estimate = values.Sum(v => sorted.CountWithin(v, true, v, true, cap));
                return new Plan(
                    estimate,
                    true,
                    true,
                    list => Array.ForEach(values, v => sorted.AddWithin(v, true, v, true, list)));
            case Filter.KeywordIn k:
                int field = rows.KeywordIndex(k.Field);
                var postings = k.Values.Select(v => rows.Postings(field, rows.KeywordCode(field, v))).OfType<RowPostings>().Distinct().ToArray();
                // A row has one value per field, so the lists are disjoint; several of them interleave and need a sort.
                return new Plan(
                    postings.Sum(p => (long)p.Count),
                    postings.Length > 1,
                    true,
                    list => Array.ForEach(postings, p => p.AddTo(list)));
            case Filter.And and:
                // Its smallest child only: a superset of the and's rows.
                return and.Items.Select(i => PlanFor(rows, i)).OfType<Plan>().MinBy(p => p.Estimate) is { } smallest
                    ? smallest with { Exact = false }
                    : null;
            case Filter.Or or:
                var parts = or.Items.Select(i => PlanFor(rows, i)).ToArray();
                return Array.Exists(parts, p => p is null)
                    ? null
                    : new Plan(parts.Sum(p => p!.Estimate), true, Array.TrueForAll(parts, p => p!.Exact), list => Array.ForEach(parts, p => p!.AddTo(list)));
            default:
                return null;
        }
    }

    /// <summary>Candidate rows from posting lists or sorted columns: a superset of the allowed rows, with its size, listed by
    /// <c>AddTo</c>. <c>Exact</c> when the candidates are exactly the
    /// rows the condition allows, as of the indexes (a posting list, a sorted column's range, an or of exact parts).</summary>
    private sealed record Plan(long Estimate, bool Unordered, bool Exact, Action<List<long>> AddTo);

    private static Func<long, bool> Build(RowTable rows, Filter filter)
    {
        switch (filter)
        {
            // Plain loops: a lambda over the row inside these (Array.TrueForAll(all, p => p(r))) allocated a closure and a
            // delegate per row tested, thousands per filtered search.
            case Filter.And and:
                return AllOf(and.Items.Select(f => Build(rows, f)).ToArray());
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

    private static Func<long, bool> AllOf(Func<long, bool>[] all) => r =>
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
}
