using System.IO.Hashing;
using Mosaic.Core.Collections;
using Mosaic.Index.Quantization;
using Mosaic.Index.Storage;

namespace Mosaic.Index;

/// <summary>Incremental snapshots: a base file with every chunk of nodes, then deltas with only the chunks that changed.</summary>
/// <remarks>
/// <para>Nodes are grouped in chunks of <see cref="ChunkNodes"/> consecutive ids. A snapshot serializes every chunk
/// in memory and hashes it (XxHash64; ~1 ms per 10 MB), and a delta writes only those whose hash differs from the
/// ledger's, the hash of what the files already hold. So which records changed need not be tracked at every place
/// that writes one (insert, the back links it adds to its neighbours, tombstones, reuse and its repairs): a missed
/// site would have been a silently stale snapshot, a changed hash cannot be missed. An insert rewrites its own chunk
/// and those of its ~2M neighbours, so a few changes cost a few chunks, not the graph.</para>
/// <para>Loading reads and verifies every delta first (each one whole, checksum included), stops at the first that is
/// unreadable, belongs to another base or is out of sequence, and then streams the base, taking each chunk from the
/// newest file that holds it. A torn or lost delta thus leaves an older but consistent graph, which the caller
/// repairs from its own record of what changed (the worker: row seqs per snapshot file against the shard file).</para>
/// </remarks>
public sealed unsafe partial class HnswIndex
{
    /// <summary>
    /// Nodes per chunk. An insert rewrites the link lists of ~10-30 neighbours scattered over the ids, so chunks must be
    /// small for a few changes to stay a small share of the graph; the per-chunk framing (12 bytes in a file, an
    /// 8-byte hash in the ledger) is still under 1 byte per node.
    /// </summary>
    internal const int ChunkNodes = 2;

    // The base id of Save's files: fixed, so that saving the same index twice gives the same bytes; no ledger ever
    // writes deltas for it.
    private const long StandaloneId = 1;
    private const int BaseKind = 0;
    private const int DeltaKind = 1;

    /// <summary>Writes every chunk as a new base (returns its bytes) and resets <paramref name="ledger"/> to it.</summary>
    public long SaveBase(Stream stream, HnswSnapshotLedger ledger) =>

        // An id, not a position: a delta written for an older base must never apply to this one. Random (not the
        // index's seeded generator, whose draws are the levels) and never StandaloneId.
        SaveBase(stream, ledger, Random.Shared.NextInt64(StandaloneId + 1, long.MaxValue));

    private long SaveBase(Stream stream, HnswSnapshotLedger ledger, long id)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(ledger);
        lock (_writeLock)
        {
            ThrowIfDisposed();
            var w = new HashingWriter(stream);
            WriteHeader(w, BaseKind, id, 0);
            var hashes = WriteChunks(w, ledger: null);
            WritePending(w);
            w.Finish();
            ledger.StartBase(id);
            foreach (var (chunk, hash) in hashes)
            {
                ledger.SetChunk(chunk, hash);
            }

            ledger.FinishBase(w.BytesWritten, hashes.Count);
            return w.BytesWritten;
        }
    }

    /// <summary>
    /// Writes the chunks that differ from what <paramref name="ledger"/> says the files hold (plus the counts, entry
    /// point and buffered vectors) as the ledger's next delta; returns its bytes. The ledger changes only when the
    /// write succeeded; a caller whose file then fails to land must start over with a base.
    /// </summary>
    public long SaveDelta(Stream stream, HnswSnapshotLedger ledger)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(ledger);
        if (!ledger.HasBase)
        {
            throw new InvalidOperationException("a delta needs a base: call SaveBase first");
        }

        lock (_writeLock)
        {
            ThrowIfDisposed();
            var w = new HashingWriter(stream);
            WriteHeader(w, DeltaKind, ledger.BaseId, ledger.DeltaCount + 1);
            var hashes = WriteChunks(w, ledger);
            WritePending(w);
            w.Finish();
            foreach (var (chunk, hash) in hashes)
            {
                ledger.SetChunk(chunk, hash);
            }

            ledger.AddDelta(w.BytesWritten, hashes.Count);
            return w.BytesWritten;
        }
    }

    /// <summary>
    /// Reads a base and as many of <paramref name="deltas"/> (in the order written) as are intact and in sequence;
    /// <paramref name="ledger"/> then says how many applied (<see cref="HnswSnapshotLedger.DeltaCount"/>) and can
    /// write the next delta. A file of version 1-3 loads as before and leaves the ledger without a base. A damaged
    /// base throws <see cref="InvalidDataException"/>; a damaged delta only stops the deltas there.
    /// </summary>
    public static HnswIndex Load(Stream baseStream, IReadOnlyList<Stream> deltas, HnswSnapshotLedger ledger)
    {
        ArgumentNullException.ThrowIfNull(baseStream);
        ArgumentNullException.ThrowIfNull(deltas);
        ArgumentNullException.ThrowIfNull(ledger);
        var r = new HashingReader(baseStream);
        if ((ulong)r.ReadInt64() != FileMagic)
        {
            throw new InvalidDataException("not a Mosaic HNSW index file");
        }

        int version = r.ReadInt32();
        if (version is 1 or 2 or 3)
        {
            ledger.StartBase(0);
            return LoadLegacy(r, version);
        }

        if (version != FileVersion)
        {
            throw new InvalidDataException($"unsupported index file version {version}");
        }

        Check(r.ReadInt32() == BaseKind, "file kind (a delta where a base was expected)");
        long baseId = r.ReadInt64();
        Check(baseId != 0 && r.ReadInt32() == 0, "base id");
        var meta = FileMeta.Read(r, version);
        var index = meta.CreateIndex();
        try
        {
            index.ReadCodec(r, meta, hasWeights: true);
            Check(r.ReadInt32() == ChunkNodes, "chunk size");
            var applied = new List<DeltaFile>();
            foreach (var stream in baseId == StandaloneId ? [] : deltas)
            {
                var delta = DeltaFile.TryRead(stream, baseId, applied.Count + 1, applied.Count > 0 ? applied[^1].Meta : meta, index.MaxChunkBytes());
                if (delta is null)
                {
                    break;
                }

                applied.Add(delta);
            }

            var final = applied.Count > 0 ? applied[^1].Meta : meta;
            index.EnsureNodeCapacity(final.Nodes);
            var newest = new Dictionary<int, (int Count, byte[] Bytes)>();
            foreach (var delta in applied)
            {
                foreach (var (chunk, bytes) in delta.Chunks)
                {
                    newest[chunk] = bytes;
                }
            }

            int chunkCount = (final.Nodes + ChunkNodes - 1) / ChunkNodes;
            var hashes = new ulong[chunkCount];
            var seen = new bool[chunkCount];
            int maxBytes = index.MaxChunkBytes();
            while (ReadChunk(r, maxBytes) is var (chunk, count, bytes))
            {
                Check((uint)chunk < (uint)chunkCount && !seen[chunk], "chunk");
                seen[chunk] = true;
                if (!newest.ContainsKey(chunk))
                {
                    hashes[chunk] = index.LoadChunk(chunk, count, bytes, final);
                }
            }

            foreach (var (chunk, (count, bytes)) in newest)
            {
                Check((uint)chunk < (uint)chunkCount, "chunk");
                seen[chunk] = true;
                hashes[chunk] = index.LoadChunk(chunk, count, bytes, final);
            }

            Check(Array.TrueForAll(seen, s => s), "missing chunk");
            var pending = ReadPendingRows(r, meta.Dimension);
            r.VerifyTrailer();
            if (applied.Count > 0)
            {
                index._codec = applied[^1].Codec ?? index._codec;
                pending = applied[^1].Pending;
            }

            Check(final.Nodes == 0 || final.Quantization == VectorQuantization.Float || index._codec is not null, "untrained index with nodes");

            index.FinishLoad(final);
            index.ApplyPending(pending);
            if (index._codec is not null)
            {
                index._pending = null;
            }

            ledger.StartBase(baseId == StandaloneId ? 0 : baseId);
            for (int c = 0; c < chunkCount; c++)
            {
                ledger.SetChunk(c, hashes[c]);
            }

            ledger.FinishBase(r.BytesRead, chunkCount);
            foreach (var delta in applied)
            {
                ledger.AddDelta(delta.Bytes, delta.Chunks.Count);
            }

            return index;
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    private void WriteHeader(HashingWriter w, int kind, long baseId, int number)
    {
        w.WriteInt64((long)FileMagic);
        w.WriteInt32(FileVersion);
        w.WriteInt32(kind);
        w.WriteInt64(baseId);
        w.WriteInt32(number);
        WriteMeta(w);
        w.WriteInt32(ChunkNodes);
    }

    /// <summary>Writes every chunk (no ledger) or those that differ from the ledger's; returns the hashes written.</summary>
    private List<(int Chunk, ulong Hash)> WriteChunks(HashingWriter w, HnswSnapshotLedger? ledger)
    {
        int nodes = _nodeCount;
        var written = new List<(int, ulong)>();
        using var buffer = new MemoryStream();

        // One serializer for every chunk: each chunk is flushed into the emptied buffer (its running hash is unused).
        var cw = new HashingWriter(buffer, 64 << 10);
        for (int chunk = 0, first = 0; first < nodes; chunk++, first += ChunkNodes)
        {
            int count = Math.Min(ChunkNodes, nodes - first);
            buffer.SetLength(0);
            buffer.Position = 0;
            for (int id = first; id < first + count; id++)
            {
                WriteNode(cw, id);
            }

            cw.Flush();
            var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
            ulong hash = ChunkHash(count, bytes);
            if (ledger is not null && chunk < ledger.ChunkCount && ledger.ChunkHash(chunk) == hash)
            {
                continue;
            }

            w.WriteInt32(chunk);
            w.WriteInt32(count);
            w.WriteInt32(bytes.Length);
            w.WriteBytes(bytes);
            written.Add((chunk, hash));
        }

        w.WriteInt32(-1);
        return written;
    }

    /// <summary>Reads the <paramref name="count"/> records of <paramref name="chunk"/> from its bytes; returns the chunk's hash.</summary>
    private ulong LoadChunk(int chunk, int count, byte[] bytes, FileMeta final)
    {
        int first = chunk * ChunkNodes;
        Check(count == Math.Min(ChunkNodes, final.Nodes - first), "chunk node count");
        var r = new HashingReader(new MemoryStream(bytes, writable: false), Math.Clamp(bytes.Length, 64, 64 << 10));
        for (int id = first; id < first + count; id++)
        {
            LoadNode(r, id, final);
        }

        Check(r.BytesRead == bytes.Length, "chunk length");
        return ChunkHash(count, bytes);
    }

    /// <summary>The next chunk of a file (index, node count, bytes), or null at the end marker.</summary>
    private static (int Chunk, int Count, byte[] Bytes)? ReadChunk(HashingReader r, int maxBytes)
    {
        int chunk = r.ReadInt32();
        if (chunk == -1)
        {
            return null;
        }

        int count = r.ReadInt32();
        int length = r.ReadInt32();
        Check(chunk >= 0 && count is > 0 and <= ChunkNodes && (uint)length <= (uint)maxBytes, "chunk");
        var bytes = new byte[length];
        r.ReadBytes(bytes);
        return (chunk, count, bytes);
    }

    private static ulong ChunkHash(int count, ReadOnlySpan<byte> bytes) => XxHash64.HashToUInt64(bytes, count);

    /// <summary>An upper bound on a chunk's bytes (every node at the top level with full lists), against absurd lengths in a damaged file.</summary>
    private int MaxChunkBytes()
    {
        long node = 16L + (_maxM0 * sizeof(int)) + StoredVectorBytes + ((long)MaxLevelCap * (1 + _m) * sizeof(int));
        return (int)Math.Min(node * ChunkNodes, Array.MaxLength);
    }

    /// <summary>A delta read whole and verified: its meta, codec, chunks and buffered vectors.</summary>
    private sealed class DeltaFile
    {
        private DeltaFile(FileMeta meta, QuantizationCodec? codec, Dictionary<int, (int, byte[])> chunks, List<(long, float[])> pending, long bytes)
        {
            Meta = meta;
            Codec = codec;
            Chunks = chunks;
            Pending = pending;
            Bytes = bytes;
        }

        public FileMeta Meta { get; }

        public QuantizationCodec? Codec { get; }

        public Dictionary<int, (int Count, byte[] Bytes)> Chunks { get; }

        public List<(long Label, float[] Vector)> Pending { get; }

        public long Bytes { get; }

        /// <summary>The delta, or null when it is damaged, of another base, out of sequence or of another shape.</summary>
        public static DeltaFile? TryRead(Stream stream, long baseId, int number, FileMeta previous, int maxChunkBytes)
        {
            try
            {
                var r = new HashingReader(stream);
                if ((ulong)r.ReadInt64() != FileMagic || r.ReadInt32() != FileVersion || r.ReadInt32() != DeltaKind
                    || r.ReadInt64() != baseId || r.ReadInt32() != number)
                {
                    return null;
                }

                var meta = FileMeta.Read(r, FileVersion);
                if (!previous.SameShape(meta))
                {
                    return null;
                }

                QuantizationCodec? codec = null;
                if (meta.Quantization != VectorQuantization.Float && r.ReadInt32() is int marker && QuantizationCodec.IsFileMarker(marker))
                {
                    codec = QuantizationCodec.Read(r, meta.Quantization, meta.Metric, meta.Dimension, hasWeights: true, marker);
                }

                if (r.ReadInt32() != ChunkNodes)
                {
                    return null;
                }

                var chunks = new Dictionary<int, (int, byte[])>();
                while (ReadChunk(r, maxChunkBytes) is var (chunk, count, bytes))
                {
                    chunks[chunk] = (count, bytes);
                }

                var pending = ReadPendingRows(r, meta.Dimension);
                r.VerifyTrailer();
                return new DeltaFile(meta, codec, chunks, pending, r.BytesRead);
            }
            catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or IOException)
            {
                return null;
            }
        }
    }
}
