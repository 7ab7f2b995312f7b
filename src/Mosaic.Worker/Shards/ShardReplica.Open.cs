using System.Diagnostics;
using Mosaic.Index;

namespace Mosaic.Worker.Shards;

public sealed partial class ShardReplica
{
    /// <summary>
    /// Rebuilds memory from the shard file. With a graph snapshot, only rows whose seq differs from the snapshot's are
    /// re-inserted (the snapshot may be older than the file after a kill -9); without one, the graph is built from all
    /// vectors on every core.
    /// </summary>
    private void Open()
    {
        long started = Stopwatch.GetTimestamp();
        ShardFileMigration.Run(_file, _logger, Collection.Name, Shard);
        _applied = _file.ReadApplied();
        _rows.DeferNumberIndex();
        var spec = Collection.Spec;
        string how;
        if (!spec.HasVectors)
        {
            foreach (var row in _file.ReadRows(withVectors: false))
            {
                _rows.Set(row.RowId, row.DocId, row.Seq, row.FieldsJson);
            }

            how = "keyword only";
        }
        else if (TryLoadSnapshot(out var index, out var snapshotSeqs))
        {
            int repaired = 0;
            using var connection = _file.Open();
            foreach (var row in _file.ReadRows(withVectors: false))
            {
                _rows.Set(row.RowId, row.DocId, row.Seq, row.FieldsJson);
                bool inSnapshot = snapshotSeqs.Remove(row.RowId, out long snapshotSeq);
                if (row.HasVector && (!inSnapshot || snapshotSeq != row.Seq))
                {
                    index.Add(row.RowId, _file.ReadVector(connection, row.RowId)!);
                    _rowsChangedSinceSnapshot.Add(row.RowId);
                    repaired++;
                }
                else if (!row.HasVector && inSnapshot)
                {
                    index.Remove(row.RowId);
                    _rowsChangedSinceSnapshot.Add(row.RowId);
                    repaired++;
                }
            }

            foreach (long gone in snapshotSeqs.Keys)
            {
                index.Remove(gone);
                _rowsChangedSinceSnapshot.Add(gone);
                repaired++;
            }

            _index = index;
            how = $"graph snapshot loaded, {repaired} rows repaired from the file, {_ledger.DeltaCount} snapshot deltas applied";
        }
        else
        {
            var labels = new List<long>();
            var vectors = new List<float>();
            foreach (var row in _file.ReadRows(withVectors: true))
            {
                _rows.Set(row.RowId, row.DocId, row.Seq, row.FieldsJson);
                if (row.Vector is { } v)
                {
                    labels.Add(row.RowId);
                    vectors.AddRange(v);
                }
            }

            _index = new HnswIndex(spec.Dimension, spec.Metric, spec.Hnsw, Math.Max(1024, labels.Count));
            if (labels.Count > 0)
            {
                int threads = _options.BuildThreads > 0 ? _options.BuildThreads : 1;
                _index.AddParallel(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(labels), System.Runtime.InteropServices.CollectionsMarshal.AsSpan(vectors), threads);
            }

            how = $"graph built from {labels.Count} vectors";
            _vectorChangesSinceSnapshot = labels.Count;
        }

        _rows.IndexNumbers();
        how += ", " + OpenKeywords();
        OpenReport = $"{_rows.Count} rows, {how}, {Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0} ms";
        LogOpened(Collection.Name, Shard, OpenReport);
    }
}
