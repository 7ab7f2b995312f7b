using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using Mosaic.Core.Errors;
using Mosaic.Core.Search;
using Mosaic.Index;
using Mosaic.Index.Keyword;

namespace Mosaic.Worker.Shards;

/// <summary>The keyword side of a replica: the BM25 index over row ids, its statistics, snapshot and repair.</summary>
/// <remarks>
/// The shard file keeps the text in <c>docs.text</c> (payloads, repair, rebuild); ranking is <see cref="KeywordIndex"/>'s alone. The snapshot
/// (<c>shard_NNN.kw</c>) holds the seq of every row at the time it was written, so that an open after a kill -9
/// re-indexes only rows whose seq moved since, like the graph snapshot.
/// </remarks>
public sealed partial class ShardReplica
{
    // Below this many allowed rows a filtered keyword search probes each allowed row's terms (rows × terms ×
    // log df) instead of walking postings and testing each candidate: at 4k rows that is ~50k binary searches,
    // under the cost of walking one common term's postings in a 100k-document shard.
    private const int KeywordProbeLimit = 4096;

    private static ReadOnlySpan<byte> KeywordSnapshotMagic => "MOSKWS01"u8;

    private KeywordIndex _keywords = new();
    private int _keywordChangesSinceSnapshot;
    private IComparer<long>? _idOrder;

    /// <summary>Equal scores rank by document id, as the coordinator's merge does: the cut at k is then the same on any placement.</summary>
    private IComparer<long> IdOrder => _idOrder ??= Comparer<long>.Create((a, b) => string.CompareOrdinal(_rows.IdOf(a), _rows.IdOf(b)));

    private string KeywordSnapshotPath => Path.ChangeExtension(_snapshotPath, ".kw");

    /// <summary>This shard's part of the collection-wide statistics for the request's query text.</summary>
    public async Task<KeywordStats> KeywordStatsAsync(ShardSearchRequest request, CancellationToken ct)
    {
        bool behind = await WaitUntilServingAsync(request, ct).ConfigureAwait(false);
        Interlocked.Increment(ref _searchesInFlight);
        try
        {
            return _closed
                ? throw new ShardUnavailableException($"shard {Shard} of '{Collection.Name}' was closed")
                : _keywords.Statistics(KeywordQuery.Parse(request.Query)) with { Behind = behind };
        }
        finally
        {
            Interlocked.Decrement(ref _searchesInFlight);
        }
    }

    private List<VectorHit> KeywordSearch(string text, KeywordStats? stats, int k, RowFilter? filter)
    {
        var query = KeywordQuery.Parse(text);
        if (query.IsEmpty)
        {
            return [];
        }

        var buffer = ArrayPool<VectorHit>.Shared.Rent(k);
        try
        {
            int found;
            if (filter is null)
            {
                found = _keywords.Search(query, stats, k, buffer.AsSpan(0, k), null, IdOrder);
            }
            else
            {
                var allowed = filter.AllowedRows(stopAfter: KeywordProbeLimit + 1, checkEach: false);
                found = allowed.Count <= KeywordProbeLimit
                    ? _keywords.SearchAmong(query, stats, k, CollectionsMarshal.AsSpan(allowed), buffer.AsSpan(0, k), IdOrder)
                    : _keywords.Search(query, stats, k, buffer.AsSpan(0, k), filter, IdOrder);
                if (allowed.Count <= KeywordProbeLimit && !filter.AllowsAll(buffer.AsSpan(0, found)))
                {
                    // A row changed while its indexes were read (see RowFilter.AllowedRows): check each row this time.
                    allowed = filter.AllowedRows(stopAfter: int.MaxValue);
                    found = _keywords.SearchAmong(query, stats, k, CollectionsMarshal.AsSpan(allowed), buffer.AsSpan(0, k), IdOrder);
                }
            }

            return [.. buffer.AsSpan(0, found)];
        }
        finally
        {
            ArrayPool<VectorHit>.Shared.Return(buffer);
        }
    }

    private void ApplyKeyword(AppliedChange change)
    {
        if (change.Deleted)
        {
            _keywords.Remove(change.RowId);
        }
        else
        {
            _keywords.Add(change.RowId, change.Text);
        }

        _keywordChangesSinceSnapshot++;
    }

    /// <summary>Loads the keyword snapshot and repairs it from the file, or indexes every row's text; returns how, for the open report.</summary>
    private string OpenKeywords()
    {
        using var connection = _file.Open();
        if (TryLoadKeywordSnapshot(out var index, out var seqs))
        {
            int repaired = 0;
            // After a kill -9 in a bulk load every row written since the snapshot is repaired: one prepared statement for all.
            using var text = connection.CreateCommand();
            text.CommandText = "SELECT text FROM docs WHERE rowid = $r";
            var textRow = text.Parameters.Add("$r", SqliteType.Integer);
            for (long row = 0; row < _rows.RowLimit; row++)
            {
                if (_rows.IdOf(row) is null)
                {
                    continue;
                }

                if (!seqs.Remove(row, out long seq) || seq != _rows.SeqOf(row))
                {
                    textRow.Value = row;
                    index.Add(row, text.ExecuteScalar() as string);
                    repaired++;
                }
            }

            foreach (long gone in seqs.Keys)
            {
                index.Remove(gone);
                repaired++;
            }

            _keywords.Dispose();
            _keywords = index;
            return $"keyword snapshot loaded, {repaired} rows repaired";
        }

        using var command = connection.CreateCommand();
        command.CommandText = "SELECT rowid, text FROM docs WHERE text IS NOT NULL";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            _keywords.Add(reader.GetInt64(0), reader.GetString(1));
        }

        _keywordChangesSinceSnapshot = _keywords.Count;
        return $"keyword index built from {_keywords.Count} texts";
    }

    private bool TryLoadKeywordSnapshot(out KeywordIndex index, out Dictionary<long, long> seqs)
    {
        index = null!;
        seqs = [];
        if (!File.Exists(KeywordSnapshotPath))
        {
            return false;
        }

        try
        {
            using var stream = new BufferedStream(File.OpenRead(KeywordSnapshotPath), 1 << 20);
            seqs = RowSeqs.Read(stream, KeywordSnapshotMagic);
            index = KeywordIndex.Load(stream);
            return true;
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or IOException)
        {
            LogKeywordSnapshotUnusable(ex, Collection.Name, Shard);
            seqs = [];
            return false;
        }
    }

    /// <summary>Writes the keyword index with the seq of every live row; temp file + rename so a crash never leaves half a snapshot.</summary>
    private void WriteKeywordSnapshot()
    {
        if (_keywordChangesSinceSnapshot == 0 && File.Exists(KeywordSnapshotPath))
        {
            return;
        }

        SnapshotFile.Write(KeywordSnapshotPath, file =>
        {
            RowSeqs.Write(file, KeywordSnapshotMagic, _rows, _ => true);
            _keywords.Save(file);
        });
        _keywordChangesSinceSnapshot = 0;
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "Shard {Collection}/{Shard}: keyword snapshot unusable, rebuilding from the shard file")]
    private partial void LogKeywordSnapshotUnusable(Exception ex, string collection, int shard);
}
