using System.Diagnostics;
using Mosaic.Index;

namespace Mosaic.Worker.Shards;

public sealed partial class ShardReplica
{
    private static ReadOnlySpan<byte> SnapshotMagic => "MOSNAP01"u8;

    /// <summary>
    /// Rebuilds memory from the shard file. With a graph snapshot, only rows whose seq differs from the snapshot's are
    /// re-inserted (the snapshot may be older than the file after a kill -9); without one, the graph is built from all
    /// vectors on every core.
    /// </summary>
    private void Open()
    {
        long started = Stopwatch.GetTimestamp();
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
                    repaired++;
                }
                else if (!row.HasVector && inSnapshot)
                {
                    index.Remove(row.RowId);
                    repaired++;
                }
            }

            foreach (long gone in snapshotSeqs.Keys)
            {
                index.Remove(gone);
                repaired++;
            }

            _index = index;
            how = $"graph snapshot loaded, {repaired} rows repaired from the file";
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

    private bool TryLoadSnapshot(out HnswIndex index, out Dictionary<long, long> seqs)
    {
        index = null!;
        seqs = [];
        if (!File.Exists(_snapshotPath))
        {
            return false;
        }

        try
        {
            using var stream = new BufferedStream(File.OpenRead(_snapshotPath), 1 << 20);
            seqs = RowSeqs.Read(stream, SnapshotMagic);
            index = HnswIndex.Load(stream);
            var spec = Collection.Spec;
            if (index.Dimension != spec.Dimension || index.Metric != spec.Metric || index.Quantization != spec.Hnsw.Quantization)
            {
                index.Dispose();
                throw new InvalidDataException("snapshot is of another collection shape");
            }

            return true;
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or IOException)
        {
            LogSnapshotUnusable(ex, Collection.Name, Shard);
            seqs = [];
            return false;
        }
    }

    /// <summary>Writes the graph with the seq of every row it holds; temp file + rename so a crash never leaves half a snapshot.</summary>
    private void WriteSnapshot()
    {
        WriteKeywordSnapshot();
        if (_index is null)
        {
            _vectorChangesSinceSnapshot = 0;
            return;
        }

        string temp = _snapshotPath + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            RowSeqs.Write(file, SnapshotMagic, _rows, _index.Contains);
            _index.Save(file);
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, _snapshotPath, overwrite: true);
        _vectorChangesSinceSnapshot = 0;
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "Shard {Collection}/{Shard}: graph snapshot unusable, rebuilding from the shard file")]
    private partial void LogSnapshotUnusable(Exception ex, string collection, int shard);
}
