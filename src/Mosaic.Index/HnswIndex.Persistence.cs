using System.Runtime.InteropServices;
using Mosaic.Core.Collections;
using Mosaic.Index.Graph;
using Mosaic.Index.Quantization;
using Mosaic.Index.Storage;

namespace Mosaic.Index;

/// <summary>Persistence: a versioned little-endian file with an XxHash64 trailer.</summary>
/// <remarks>
/// Layout (version 3): magic "MOSHNSW\0", version, dimension, metric, M, efConstruction, efSearch, seed,
/// node count, tombstone count, entry node, top level, quantization; for a quantized index a trained flag and, when
/// trained, the codec's bounds (binary: also one weight per bit); then per node: label (i64), level|flags (i32),
/// level-0 link count and links, the stored vector (normalized for cosine) or code, and per upper level a link count
/// and links; then the vectors an untrained quantized index still buffers (count, then label and floats each); then
/// the hash of all preceding bytes. Version 2 differs only for binary graphs (bits of the raw dimensions, no weights;
/// they load and search as before); version 1 files (float, no quantization field, no buffer) still load.
/// Everything read is range-checked before use, so a damaged file fails with
/// <see cref="InvalidDataException"/> instead of producing a graph with out-of-range links.
/// </remarks>
public sealed unsafe partial class HnswIndex
{
    private const ulong FileMagic = 0x0057534E48534F4DUL; // "MOSHNSW\0" little-endian
    private const int FileVersion = 3;

    /// <summary>Writes the whole index (vectors, graph, tombstones, labels). Writers wait while it runs; searches do not.</summary>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        lock (_writeLock)
        {
            ThrowIfDisposed();
            var w = new HashingWriter(stream);
            long entry = Volatile.Read(ref _entry);
            int nodes = _nodeCount;
            w.WriteInt64((long)FileMagic);
            w.WriteInt32(FileVersion);
            w.WriteInt32(_dimension);
            w.WriteInt32((int)Metric);
            w.WriteInt32(Settings.M);
            w.WriteInt32(Settings.EfConstruction);
            w.WriteInt32(Settings.EfSearch);
            w.WriteInt32(_seed);
            w.WriteInt32(nodes);
            w.WriteInt32(_deletedCount);
            w.WriteInt32(entry < 0 ? -1 : (int)entry);
            w.WriteInt32(entry < 0 ? -1 : (int)(entry >> 32));
            w.WriteInt32((int)Quantization);
            if (Quantization != VectorQuantization.Float)
            {
                w.WriteInt32(_codec is null ? 0 : 1);
                _codec?.Write(w);
            }

            for (int id = 0; id < nodes; id++)
            {
                byte* node = Node(id);
                byte* header = node + _headerOffset;
                int flags = *(int*)(header + NodeLayout.FlagsOffset);
                w.WriteInt64(*(long*)(header + NodeLayout.LabelOffset));
                w.WriteInt32(flags);
                int n0 = Math.Min(*(int*)(header + NodeLayout.CountOffset), _maxM0);
                w.WriteInt32(n0);
                w.WriteBytes(new ReadOnlySpan<byte>(node + _linksOffset, n0 * sizeof(int)));
                w.WriteBytes(new ReadOnlySpan<byte>(node, StoredVectorBytes));
                int level = flags & NodeLayout.LevelMask;
                for (int l = 1; l <= level; l++)
                {
                    int* block = UpperLinks(node, l);
                    int n = Math.Min(*block, _m);
                    w.WriteInt32(n);
                    w.WriteBytes(new ReadOnlySpan<byte>(block + 1, n * sizeof(int)));
                }
            }

            WritePending(w);
            w.Finish();
        }
    }

    /// <summary>Reads an index written by <see cref="Save"/>; a truncated, corrupt or foreign file throws <see cref="InvalidDataException"/>.</summary>
    public static HnswIndex Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var r = new HashingReader(stream);
        if ((ulong)r.ReadInt64() != FileMagic)
        {
            throw new InvalidDataException("not a Mosaic HNSW index file");
        }

        int version = r.ReadInt32();
        if (version is not (1 or 2 or FileVersion))
        {
            throw new InvalidDataException($"unsupported index file version {version}");
        }

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

        var index = new HnswIndex(dimension, (VectorMetric)metric, new HnswSettings(m, efConstruction, efSearch, quantization), Math.Max(nodes, 64), seed);
        try
        {
            if (quantization != VectorQuantization.Float && r.ReadInt32() == 1)
            {
                index._codec = QuantizationCodec.Read(r, quantization, (VectorMetric)metric, dimension, hasWeights: version >= 3);
            }

            Check(nodes == 0 || quantization == VectorQuantization.Float || index._codec is not null, "untrained index with nodes");
            index.LoadNodes(r, nodes, deleted, entryId, maxLevel);
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

    private void LoadNodes(HashingReader r, int nodes, int deleted, int entryId, int maxLevel)
    {
        _nodes.EnsureCapacity(nodes);
        int tombstones = 0;
        for (int id = 0; id < nodes; id++)
        {
            long label = r.ReadInt64();
            int flags = r.ReadInt32();
            int level = flags & NodeLayout.LevelMask;
            Check(label >= 0 && (flags & ~(NodeLayout.LevelMask | NodeLayout.DeletedFlag)) == 0 && level <= maxLevel, "node header");
            int upperStart = level > 0 ? AllocateUpper(level * _upperBlockInts) : -1;
            byte* node = Node(id);
            byte* header = node + _headerOffset;
            *(int*)(header + NodeLayout.FlagsOffset) = flags;
            *(int*)(header + NodeLayout.LockOffset) = 0;
            *(int*)(header + NodeLayout.UpperOffset) = upperStart;
            *(long*)(header + NodeLayout.LabelOffset) = label;
            int n0 = r.ReadInt32();
            Check((uint)n0 <= (uint)_maxM0, "link count");
            *(int*)(header + NodeLayout.CountOffset) = n0;
            ReadLinks(r, (int*)(node + _linksOffset), n0, nodes);
            r.ReadBytes(new Span<byte>(node, StoredVectorBytes));
            new Span<byte>(node + StoredVectorBytes, _vectorBytes - StoredVectorBytes).Clear();
            for (int l = 1; l <= level; l++)
            {
                int* block = UpperLinks(node, l);
                int n = r.ReadInt32();
                Check((uint)n <= (uint)_m, "link count");
                *block = n;
                ReadLinks(r, block + 1, n, nodes);
            }

            if ((flags & NodeLayout.DeletedFlag) != 0)
            {
                tombstones++;
                _free.Add(id);
            }
            else
            {
                Check(_labels.TryAdd(label, id), "duplicate live label");
            }

            _nodeCount = id + 1;
        }

        Check(tombstones == deleted, "tombstone count");
        _deletedCount = deleted;
        if (nodes > 0)
        {
            Check(LevelOf(Node(entryId) + _headerOffset) == maxLevel, "entry level");
            _entry = ((long)maxLevel << 32) | (uint)entryId;
        }
    }

    /// <summary>Bytes of a record's vector that a file holds: the unpadded floats, or the whole code.</summary>
    private int StoredVectorBytes => Quantization == VectorQuantization.Float ? _dimension * sizeof(float) : _vectorBytes;

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
}
