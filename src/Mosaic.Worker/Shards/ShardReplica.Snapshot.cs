using Mosaic.Index;
using Microsoft.Extensions.Logging;

namespace Mosaic.Worker.Shards;

/// <summary>Graph snapshots: a base file and numbered deltas with the chunks changed since (see HnswIndex.Snapshots.cs).</summary>
/// <remarks>
/// <para>Files: <c>shard_NNN.hnsw</c> (the base) and <c>shard_NNN.hnsw.dK</c> (delta K), each the row seqs the graph
/// reflects (the base: every row, 16 bytes each; a delta: the rows changed since the file before) then the index part. Each is written to a temp file,
/// fsynced and renamed, so a kill -9 leaves either the old set or the new file complete. A new base replaces the
/// chain once the deltas add up to half the base or there are <see cref="MaxDeltas"/> of them, and the deltas of
/// the old base are deleted after it lands (a crash in between leaves deltas that name the old base: ignored).</para>
/// <para>Opening loads the base and the intact deltas in order; the row seqs of the last one applied say which rows
/// the graph reflects, and the rest is repaired from the shard file as before.</para>
/// </remarks>
public sealed partial class ShardReplica
{
    private const int MaxDeltas = 32;
    private const double CompactFraction = 0.5;

    // What the snapshot files on disk hold; replaced by an empty one (so the next snapshot is a base) when a write fails.
    private HnswSnapshotLedger _ledger = new();

    // Rows applied or repaired since the last snapshot file: a delta's row seqs. Cleared when a snapshot lands.
    private readonly HashSet<long> _rowsChangedSinceSnapshot = [];

    private static ReadOnlySpan<byte> SnapshotMagic => "MOSNAP01"u8;

    private static ReadOnlySpan<byte> DeltaMagic => "MOSNAPD1"u8;

    /// <summary>Bytes of graph snapshot files written since the replica opened (bases and deltas, row seqs included).</summary>
    public long SnapshotBytesWritten { get; private set; }

    private string DeltaPath(int number) => $"{_snapshotPath}.d{number}";

    /// <summary>Changes after which a caught-up replica writes a snapshot: the configured count, or a fraction of its rows
    /// when that is more, so the bytes written per change do not grow with the graph (see WorkerOptions).</summary>
    private long SnapshotThreshold => Math.Max(_options.SnapshotAfterChanges, (long)(_options.SnapshotGraphFraction * _rows.Count));

    private bool TryLoadSnapshot(out HnswIndex index, out Dictionary<long, long> seqs)
    {
        index = null!;
        seqs = [];
        if (!File.Exists(_snapshotPath))
        {
            return false;
        }

        var streams = new List<Stream>();
        try
        {
            var baseStream = new BufferedStream(File.OpenRead(_snapshotPath), 1 << 20);
            streams.Add(baseStream);
            seqs = RowSeqs.Read(baseStream, SnapshotMagic);

            // Each delta's row seqs come first; the index part follows in the same stream.
            var deltaChanges = new List<Dictionary<long, long>>();
            for (int n = 1; File.Exists(DeltaPath(n)); n++)
            {
                var delta = new BufferedStream(File.OpenRead(DeltaPath(n)), 1 << 16);
                streams.Add(delta);
                try
                {
                    deltaChanges.Add(RowSeqs.Read(delta, DeltaMagic));
                }
                catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException)
                {
                    break;
                }
            }

            var ledger = new HnswSnapshotLedger();
            index = HnswIndex.Load(baseStream, streams.Skip(1).Take(deltaChanges.Count).ToList(), ledger);
            foreach (var changes in deltaChanges.Take(ledger.DeltaCount))
            {
                RowSeqs.ApplyChanges(seqs, changes);
            }

            var spec = Collection.Spec;
            if (index.Dimension != spec.Dimension || index.Metric != spec.Metric || index.Quantization != spec.Hnsw.Quantization)
            {
                index.Dispose();
                throw new InvalidDataException("snapshot is of another collection shape");
            }

            // Deltas past the last one applied (damaged, or of an older base) must never be read after a new delta
            // with their number lands: they would mix another history into the graph.
            for (int n = ledger.DeltaCount + 1; File.Exists(DeltaPath(n)); n++)
            {
                if (n < streams.Count)
                {
                    streams[n].Dispose();
                }

                File.Delete(DeltaPath(n));
            }

            _ledger = ledger;
            return true;
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or IOException)
        {
            LogSnapshotUnusable(ex, Collection.Name, Shard);
            seqs = [];
            return false;
        }
        finally
        {
            foreach (var stream in streams)
            {
                stream.Dispose();
            }
        }
    }

    /// <summary>Writes a delta of what changed since the last snapshot, or a new base when the chain is long.</summary>
    private void WriteSnapshot()
    {
        WriteKeywordSnapshot();
        if (_index is null)
        {
            _vectorChangesSinceSnapshot = 0;
            _rowsChangedSinceSnapshot.Clear();
            return;
        }

        bool asBase = !_ledger.HasBase || _ledger.DeltaCount >= MaxDeltas || _ledger.DeltaBytes > _ledger.BaseBytes * CompactFraction;
        string path = asBase ? _snapshotPath : DeltaPath(_ledger.DeltaCount + 1);
        long bytes;
        try
        {
            bytes = SnapshotFile.Write(path, file =>
            {
                if (asBase)
                {
                    RowSeqs.Write(file, SnapshotMagic, _rows, _index.Contains);
                    _index.SaveBase(file, _ledger);
                }
                else
                {
                    RowSeqs.WriteChanges(file, DeltaMagic, _rows, _index.Contains, _rowsChangedSinceSnapshot);
                    _index.SaveDelta(file, _ledger);
                }
            });
        }
        catch
        {
            _ledger = new HnswSnapshotLedger();
            throw;
        }

        if (asBase)
        {
            // Deltas of the old base; a delta numbered past the chain (left by a crash) must not be picked up either.
            foreach (var old in Directory.GetFiles(Path.GetDirectoryName(_snapshotPath)!, Path.GetFileName(_snapshotPath) + ".d*"))
            {
                File.Delete(old);
            }
        }

        SnapshotBytesWritten += bytes;
        _vectorChangesSinceSnapshot = 0;
        _rowsChangedSinceSnapshot.Clear();
        LogSnapshotWritten(Collection.Name, Shard, asBase ? "base" : $"delta {_ledger.DeltaCount}", bytes, _ledger.LastChunksWritten, _ledger.ChunkCount);
    }

    /// <summary>
    /// A snapshot only makes the next open faster: one that cannot be written (a full disk) is logged and tried again
    /// after as many changes more, and never counts as a failure to apply the log (which would pause applying).
    /// </summary>
    private void TrySnapshot()
    {
        try
        {
            WriteSnapshot();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _vectorChangesSinceSnapshot = 0;
            LogSnapshotFailed(ex, Collection.Name, Shard, SnapshotThreshold);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shard {Collection}/{Shard}: snapshot could not be written; next attempt after {Changes} more changes")]
    private partial void LogSnapshotFailed(Exception ex, string collection, int shard, long changes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shard {Collection}/{Shard}: graph snapshot unusable, rebuilding from the shard file")]
    private partial void LogSnapshotUnusable(Exception ex, string collection, int shard);

    [LoggerMessage(Level = LogLevel.Information, Message = "Shard {Collection}/{Shard}: graph snapshot {Kind} written, {Bytes} bytes, {Chunks} of {TotalChunks} chunks")]
    private partial void LogSnapshotWritten(string collection, int shard, string kind, long bytes, int chunks, int totalChunks);
}
