using Mosaic.Core.Collections;
using Mosaic.Index.Graph;
using Mosaic.Index.Quantization;
using Mosaic.Index.Storage;

namespace Mosaic.Index;

/// <summary>Persistence: versioned little-endian files with an XxHash64 trailer.</summary>
/// <remarks>
/// <para>Version 4 (written now; see HnswIndex.Snapshots.cs): magic "MOSHNSW\0", version, kind (base or delta), the
/// base's id, the delta's number, then the meta: dimension, metric, M, efConstruction, efSearch, seed, node count,
/// tombstone count, entry node, top level, quantization; for a quantized index a trained flag (0 untrained, 1 int8, 2
/// binary codes with their factors, 3 those with the rotation fitted to the code: see QuantizationCodec.FileMarker) and,
/// when trained, the codec's bounds (binary: also one weight per bit); then chunks of <see cref="ChunkNodes"/> consecutive nodes
/// (chunk index, node count, byte length, bytes; a base holds all, a delta the changed ones), ended by index -1;
/// then the vectors an untrained quantized index still buffers (count, then label and floats each); then the hash of
/// all preceding bytes. A node is its label (i64), level|flags (i32), level-0 link count and links, the stored vector
/// (normalized for cosine) or code, and per upper level a link count and links.</para>
/// <para>Versions 1-3 (one run of nodes instead of chunks, no kind/id/number) still load: version 3 is version 4's meta
/// and nodes; version 2 differs for binary graphs (bits of the raw dimensions, no weights; they load and search as
/// before); version 1 is float only, without the quantization field and the buffer.</para>
/// <para>Everything read is range-checked before use, so a damaged file fails with <see cref="InvalidDataException"/>
/// instead of producing a graph with out-of-range links.</para>
/// </remarks>
public sealed unsafe partial class HnswIndex
{
    private const ulong FileMagic = 0x0057534E48534F4DUL; // "MOSHNSW\0" little-endian
    private const int FileVersion = 4;

    /// <summary>Writes the whole index (vectors, graph, tombstones, labels). Writers wait while it runs; searches do not.</summary>
    public void Save(Stream stream) => SaveBase(stream, new HnswSnapshotLedger(), StandaloneId);

    /// <summary>Reads an index written by <see cref="Save"/> or <see cref="SaveBase"/>; a truncated, corrupt or foreign file throws <see cref="InvalidDataException"/>.</summary>
    public static HnswIndex Load(Stream stream) => Load(stream, [], new HnswSnapshotLedger());

    /// <summary>Reads a file of version 1-3: the meta (after magic and version), then one run of nodes.</summary>
    private static HnswIndex LoadLegacy(HashingReader r, int version)
    {
        var meta = FileMeta.Read(r, version);
        var index = meta.CreateIndex();
        try
        {
            index.ReadCodec(r, meta, hasWeights: version >= 3);
            index.LoadNodes(r, meta);
            if (version > 1)
            {
                index.ReadPending(r);
            }

            if (index._codec is not null)
            {
                index._pending = null;
            }

            r.VerifyTrailer();
            return index;
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    private void WriteMeta(HashingWriter w)
    {
        long entry = Volatile.Read(ref _entry);
        w.WriteInt32(_dimension);
        w.WriteInt32((int)Metric);
        w.WriteInt32(Settings.M);
        w.WriteInt32(Settings.EfConstruction);
        w.WriteInt32(Settings.EfSearch);
        w.WriteInt32(_seed);
        w.WriteInt32(_nodeCount);
        w.WriteInt32(_deletedCount);
        w.WriteInt32(entry < 0 ? -1 : (int)entry);
        w.WriteInt32(entry < 0 ? -1 : (int)(entry >> 32));
        w.WriteInt32((int)Quantization);
        if (Quantization != VectorQuantization.Float)
        {
            w.WriteInt32(_codec?.FileMarker ?? 0);
            _codec?.Write(w);
        }
    }

    private void ReadCodec(HashingReader r, FileMeta meta, bool hasWeights)
    {
        if (meta.Quantization != VectorQuantization.Float && r.ReadInt32() is int marker && QuantizationCodec.IsFileMarker(marker))
        {
            _codec = QuantizationCodec.Read(r, meta.Quantization, meta.Metric, meta.Dimension, hasWeights, marker);
        }

        Check(meta.Nodes == 0 || meta.Quantization == VectorQuantization.Float || _codec is not null, "untrained index with nodes");
    }

    private void WriteNode(HashingWriter w, int id)
    {
        byte* node = Vector(id);
        byte* header = Header(id);
        int level = NodeLayout.Level(header);
        w.WriteInt64(*(long*)(header + NodeLayout.LabelOffset));
        w.WriteInt32(level | (NodeLayout.IsDeleted(header) ? NodeLayout.FileDeletedFlag : 0));
        int n0 = Math.Min(NodeLayout.Count((int*)header), _maxM0);
        w.WriteInt32(n0);
        w.WriteBytes(new ReadOnlySpan<byte>(Links0(id), n0 * sizeof(int)));
        w.WriteBytes(new ReadOnlySpan<byte>(node, StoredVectorBytes));
        for (int l = 1; l <= level; l++)
        {
            int* block = UpperLinks(header, l);
            int n = Math.Min(*block, _m);
            w.WriteInt32(n);
            w.WriteBytes(new ReadOnlySpan<byte>(block + 1, n * sizeof(int)));
        }
    }

    private void LoadNodes(HashingReader r, FileMeta meta)
    {
        EnsureNodeCapacity(meta.Nodes);
        for (int id = 0; id < meta.Nodes; id++)
        {
            LoadNode(r, id, meta);
        }

        FinishLoad(meta);
    }

    /// <summary>Reads node <paramref name="id"/>'s record; tombstones and labels are tallied by <see cref="FinishLoad"/>.</summary>
    private void LoadNode(HashingReader r, int id, FileMeta meta)
    {
        long label = r.ReadInt64();
        int flags = r.ReadInt32();
        int level = flags & NodeLayout.LevelMask;
        Check(label >= 0 && (flags & ~(NodeLayout.LevelMask | NodeLayout.FileDeletedFlag)) == 0 && level <= meta.MaxLevel, "node header");
        int upperStart = level > 0 ? AllocateUpper(level * _upperBlockInts) : -1;
        byte* node = Vector(id);
        byte* header = Header(id);
        NodeLayout.Write(header, level, (flags & NodeLayout.FileDeletedFlag) != 0, upperStart, label);
        int n0 = r.ReadInt32();
        Check((uint)n0 <= (uint)_maxM0, "link count");
        NodeLayout.SetCount((int*)header, n0);
        ReadLinks(r, Links0(id), n0, meta.Nodes);
        r.ReadBytes(new Span<byte>(node, StoredVectorBytes));
        new Span<byte>(node + StoredVectorBytes, _vectorBytes - StoredVectorBytes).Clear();
        if (Quantization == VectorQuantization.Binary && _codec is { HasNodeFactors: false })
        {
            _codec.CompleteLegacyCode(node);
        }
        for (int l = 1; l <= level; l++)
        {
            int* block = UpperLinks(header, l);
            int n = r.ReadInt32();
            Check((uint)n <= (uint)_m, "link count");
            *block = n;
            ReadLinks(r, block + 1, n, meta.Nodes);
        }
    }

    /// <summary>With every record read: the label map, the tombstones (free for reuse), the counts and the entry point.</summary>
    private void FinishLoad(FileMeta meta)
    {
        int tombstones = 0;
        for (int id = 0; id < meta.Nodes; id++)
        {
            byte* header = Header(id);
            if (NodeLayout.IsDeleted(header))
            {
                tombstones++;
                _free.Add(id);
            }
            else
            {
                Check(_labels.TryAdd(*(long*)(header + NodeLayout.LabelOffset), id), "duplicate live label");
            }
        }

        _nodeCount = meta.Nodes;
        Check(tombstones == meta.Deleted, "tombstone count");
        _deletedCount = meta.Deleted;
        if (meta.Nodes > 0)
        {
            Check(LevelOf(Header(meta.EntryId)) == meta.MaxLevel, "entry level");
            _entry = ((long)meta.MaxLevel << 32) | (uint)meta.EntryId;
        }
    }

    /// <summary>Bytes of a record's vector that a file holds: the unpadded floats, or the whole code (binary: with its factors, unless the file predates them).</summary>
    private int StoredVectorBytes => Quantization == VectorQuantization.Float ? _dimension * sizeof(float)
        : _codec is { HasNodeFactors: false } ? QuantizationCodec.CodeBytes(Quantization, _dimension)
        : _vectorBytes;

    private static void ReadLinks(HashingReader r, int* links, int count, int nodes)
    {
        r.ReadBytes(new Span<byte>(links, count * sizeof(int)));
        for (int j = 0; j < count; j++)
        {
            Check((uint)links[j] < (uint)nodes, "link target");
        }
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidDataException($"index file is corrupt: bad {what}");
        }
    }

    /// <summary>The index-wide fields of a file, range-checked.</summary>
    private readonly record struct FileMeta(
        int Dimension, VectorMetric Metric, int M, int EfConstruction, int EfSearch, int Seed, int Nodes, int Deleted, int EntryId, int MaxLevel, VectorQuantization Quantization)
    {
        public static FileMeta Read(HashingReader r, int version)
        {
            int dimension = r.ReadInt32();
            int metric = r.ReadInt32();
            int m = r.ReadInt32();
            int efConstruction = r.ReadInt32();
            int efSearch = r.ReadInt32();
            int seed = r.ReadInt32();
            int nodes = r.ReadInt32();
            int deleted = r.ReadInt32();
            int entryId = r.ReadInt32();
            int maxLevel = r.ReadInt32();
            var quantization = version == 1 ? VectorQuantization.Float : (VectorQuantization)r.ReadInt32();
            Check(Enum.IsDefined(quantization), "quantization");
            Check(dimension is >= 1 and <= 65536, "dimension");
            Check(Enum.IsDefined((VectorMetric)metric), "metric");
            Check(m is >= 2 and <= 1024 && efConstruction >= 1 && efSearch >= 1, "settings");
            Check(nodes >= 0 && deleted >= 0 && deleted <= nodes, "node counts");
            Check(nodes == 0 ? entryId == -1 && maxLevel == -1 : (uint)entryId < (uint)nodes && maxLevel is >= 0 and <= MaxLevelCap, "entry point");
            return new FileMeta(dimension, (VectorMetric)metric, m, efConstruction, efSearch, seed, nodes, deleted, entryId, maxLevel, quantization);
        }

        public HnswIndex CreateIndex() =>
            new(Dimension, Metric, new HnswSettings(M, EfConstruction, EfSearch, Quantization), Math.Max(Nodes, 64), Seed);

        /// <summary>Whether a delta's meta can apply to an index created from this one (only the counts and entry may differ).</summary>
        public bool SameShape(FileMeta other) =>
            other.Dimension == Dimension && other.Metric == Metric && other.M == M && other.EfConstruction == EfConstruction
            && other.EfSearch == EfSearch && other.Seed == Seed && other.Quantization == Quantization && other.Nodes >= Nodes;
    }
}
