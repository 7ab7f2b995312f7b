namespace Mosaic.Index.Keyword;

/// <summary>The best k (score, label) pairs seen so far: a min-heap whose root is the worst kept hit.</summary>
/// <remarks>
/// Order: higher score first; equal scores by <c>ties</c> over labels (default: smaller label first). A caller that
/// merges several shards passes a comparer matching its merge order, so ties at the cut are resolved the same way
/// on 1 shard and on 8.
/// </remarks>
internal ref struct TopHits
{
    private readonly Span<float> _scores;
    private readonly Span<long> _labels;
    private readonly IComparer<long>? _ties;
    private int _count;

    public TopHits(Span<float> scores, Span<long> labels, IComparer<long>? ties)
    {
        _scores = scores;
        _labels = labels;
        _ties = ties;
        _count = 0;
    }

    public readonly bool Full => _count == _scores.Length;

    /// <summary>The worst kept score once full: a new hit must reach it to enter.</summary>
    public readonly float Threshold => _scores[0];

    /// <summary>Keeps the hit if it beats the worst kept one; true if kept.</summary>
    public bool Offer(float score, long label)
    {
        if (_count < _scores.Length)
        {
            int i = _count++;
            _scores[i] = score;
            _labels[i] = label;
            SiftUp(i);
            return true;
        }

        if (!Worse(_scores[0], _labels[0], score, label))
        {
            return false;
        }

        _scores[0] = score;
        _labels[0] = label;
        SiftDown(0);
        return true;
    }

    /// <summary>Writes the kept hits best first; returns how many.</summary>
    public int Drain(Span<VectorHit> output)
    {
        int total = _count;
        while (_count > 0)
        {
            output[_count - 1] = new VectorHit(_labels[0], _scores[0]);
            _count--;
            _scores[0] = _scores[_count];
            _labels[0] = _labels[_count];
            SiftDown(0);
        }

        return total;
    }

    /// <summary>True if (a) ranks below (b).</summary>
    private readonly bool Worse(float scoreA, long labelA, float scoreB, long labelB)
        => scoreA < scoreB || (scoreA == scoreB && (_ties?.Compare(labelA, labelB) ?? labelA.CompareTo(labelB)) > 0);

    private readonly void SiftUp(int i)
    {
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (!Worse(_scores[i], _labels[i], _scores[parent], _labels[parent]))
            {
                break;
            }

            Swap(i, parent);
            i = parent;
        }
    }

    private readonly void SiftDown(int i)
    {
        while (true)
        {
            int left = (2 * i) + 1;
            if (left >= _count)
            {
                return;
            }

            int worst = left;
            int right = left + 1;
            if (right < _count && Worse(_scores[right], _labels[right], _scores[left], _labels[left]))
            {
                worst = right;
            }

            if (!Worse(_scores[worst], _labels[worst], _scores[i], _labels[i]))
            {
                return;
            }

            Swap(i, worst);
            i = worst;
        }
    }

    private readonly void Swap(int a, int b)
    {
        (_scores[a], _scores[b]) = (_scores[b], _scores[a]);
        (_labels[a], _labels[b]) = (_labels[b], _labels[a]);
    }
}
