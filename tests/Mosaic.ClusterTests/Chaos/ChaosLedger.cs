using Mosaic.Core.Consistency;

namespace Mosaic.ClusterTests.Chaos;

/// <summary>One state of one document as a writer sent it: a version of its content, or gone (<see cref="Text"/> null).</summary>
public sealed record ChaosDoc(string Id, int Version, string? Text, float[]? Vector)
{
    public bool Deleted => Text is null;

    public override string ToString() => Deleted ? $"{Id} deleted (v{Version})" : $"{Id} v{Version}";
}

/// <summary>One write request as the writers sent it (a PUT, a DELETE or a bulk): the states it would leave.</summary>
public sealed record ChaosWrite(long Number, string Kind, IReadOnlyList<ChaosDoc> Docs);

/// <summary>
/// What the writers did to every id: the last acknowledged state, the write in flight, and writes that were attempted but
/// never acknowledged (their ids are retired: never written again, so either outcome stays checkable). Also the merged
/// consistency token of every acknowledged write, for read-your-writes searches.
/// </summary>
/// <remarks>
/// A read-your-writes search takes a <see cref="Snapshot"/> (the ids that must and must not be in the collection, and the
/// token covering them) and, after its answer, leaves out ids some write touched since (<see cref="TouchedSince"/>):
/// their state changed under the search.
/// </remarks>
public sealed class ChaosLedger
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ChaosDoc> _acked = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _touched = new(StringComparer.Ordinal);
    private readonly HashSet<string> _inFlight = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ChaosWrite> _unacknowledged = new(StringComparer.Ordinal);
    private readonly Dictionary<int, long> _seqs = [];
    private long _collectionId = -1;
    private long _stamp;

    /// <summary>Documents present before the workload started (loaded and acknowledged).</summary>
    public void Preloaded(IEnumerable<ChaosDoc> docs, string token)
    {
        lock (_lock)
        {
            foreach (var d in docs)
            {
                _acked[d.Id] = d;
            }

            MergeToken(token);
        }
    }

    /// <summary>A write is about to be sent (first try).</summary>
    public void Started(ChaosWrite write)
    {
        lock (_lock)
        {
            long stamp = ++_stamp;
            foreach (var d in write.Docs)
            {
                _touched[d.Id] = stamp;
                _inFlight.Add(d.Id);
            }
        }
    }

    public void Acknowledged(ChaosWrite write, string token)
    {
        lock (_lock)
        {
            foreach (var d in write.Docs)
            {
                _acked[d.Id] = d;
                _inFlight.Remove(d.Id);
            }

            MergeToken(token);
        }
    }

    /// <summary>The writer gave up on <paramref name="write"/>: it may or may not have landed, and its ids are retired.</summary>
    public void GaveUp(ChaosWrite write)
    {
        lock (_lock)
        {
            foreach (var d in write.Docs)
            {
                _unacknowledged[d.Id] = write;
                _inFlight.Remove(d.Id);
            }
        }
    }

    public bool IsRetired(string id)
    {
        lock (_lock)
        {
            return _unacknowledged.ContainsKey(id);
        }
    }

    /// <summary>The last acknowledged state of <paramref name="id"/>, or null when nothing was acknowledged for it.</summary>
    public ChaosDoc? Acked(string id)
    {
        lock (_lock)
        {
            return _acked.GetValueOrDefault(id);
        }
    }

    /// <summary>What a search with <see cref="ChaosSnapshot.Token"/> must find, and must not, as of now.</summary>
    public ChaosSnapshot Snapshot()
    {
        lock (_lock)
        {
            var settled = _acked.Values.Where(d => !_inFlight.Contains(d.Id) && !_unacknowledged.ContainsKey(d.Id)).ToList();
            string? token = _collectionId < 0 ? null : new ConsistencyToken(_collectionId, new Dictionary<int, long>(_seqs)).Encode();
            return new ChaosSnapshot(
                _stamp,
                token,
                settled.Where(d => !d.Deleted).Select(d => d.Id).ToHashSet(StringComparer.Ordinal),
                settled.Where(d => d.Deleted).Select(d => d.Id).ToHashSet(StringComparer.Ordinal));
        }
    }

    /// <summary>Ids some write started after <paramref name="stamp"/> (a snapshot's).</summary>
    public IReadOnlySet<string> TouchedSince(long stamp)
    {
        lock (_lock)
        {
            return _touched.Where(t => t.Value > stamp).Select(t => t.Key).ToHashSet(StringComparer.Ordinal);
        }
    }

    /// <summary>Every id ever written, with its acknowledged state (null: none) and the unacknowledged write that retired it (null: none).</summary>
    public IReadOnlyList<(string Id, ChaosDoc? Acked, ChaosWrite? Unacknowledged)> All()
    {
        lock (_lock)
        {
            return _acked.Keys.Union(_unacknowledged.Keys)
                .Order(StringComparer.Ordinal)
                .Select(id => (id, _acked.GetValueOrDefault(id), _unacknowledged.GetValueOrDefault(id)))
                .ToList();
        }
    }

    public long CollectionId
    {
        get
        {
            lock (_lock)
            {
                return _collectionId;
            }
        }
    }

    private void MergeToken(string token)
    {
        if (!ConsistencyToken.TryParse(token, out var parsed))
        {
            throw new InvalidOperationException($"not a consistency token: {token}");
        }

        _collectionId = parsed!.CollectionId;
        foreach (var (slot, seq) in parsed.SlotSeqs)
        {
            _seqs[slot] = Math.Max(_seqs.GetValueOrDefault(slot), seq);
        }
    }
}

/// <summary>The ids a read-your-writes search after <see cref="Token"/> must return (<see cref="Present"/>) and must not (<see cref="Gone"/>).</summary>
public sealed record ChaosSnapshot(long Stamp, string? Token, IReadOnlySet<string> Present, IReadOnlySet<string> Gone);
