namespace Mosaic.Index;

/// <summary>
/// What the snapshot files of one index hold: the id of the base file, a hash of every chunk of nodes as the files
/// give it (base plus deltas), and their sizes. <see cref="HnswIndex.SaveDelta"/> writes only the chunks whose
/// bytes differ from it.
/// </summary>
/// <remarks>
/// Owned by the caller that owns the files, one per base. <see cref="HnswIndex.SaveBase"/> resets it,
/// <see cref="HnswIndex.SaveDelta"/> and <see cref="HnswIndex.Load(Stream, IReadOnlyList{Stream}, HnswSnapshotLedger)"/>
/// bring it up to date. Not thread-safe: snapshots of one index are written one at a time anyway.
/// </remarks>
public sealed class HnswSnapshotLedger
{
    private ulong[] _chunkHashes = [];

    /// <summary>Random id of the base file (0: none yet); deltas name it, so a delta never applies to another base.</summary>
    public long BaseId { get; private set; }

    /// <summary>Bytes of the base file (index part).</summary>
    public long BaseBytes { get; private set; }

    /// <summary>Deltas written (or applied on load) on top of the base.</summary>
    public int DeltaCount { get; private set; }

    /// <summary>Bytes of those deltas together.</summary>
    public long DeltaBytes { get; private set; }

    /// <summary>Chunks of the last file written or read, and of those how many it carried.</summary>
    public int LastChunksWritten { get; private set; }

    public bool HasBase => BaseId != 0;

    /// <summary>Chunks of nodes the files hold (two nodes each).</summary>
    public int ChunkCount { get; private set; }

    internal ulong ChunkHash(int chunk) => chunk < ChunkCount ? _chunkHashes[chunk] : 0;

    internal void SetChunk(int chunk, ulong hash)
    {
        if (chunk >= _chunkHashes.Length)
        {
            Array.Resize(ref _chunkHashes, Math.Max(chunk + 1, _chunkHashes.Length * 2));
        }

        _chunkHashes[chunk] = hash;
        ChunkCount = Math.Max(ChunkCount, chunk + 1);
    }

    internal void StartBase(long id)
    {
        BaseId = id;
        BaseBytes = 0;
        DeltaCount = 0;
        DeltaBytes = 0;
        ChunkCount = 0;
        LastChunksWritten = 0;
    }

    internal void FinishBase(long bytes, int chunks)
    {
        BaseBytes = bytes;
        LastChunksWritten = chunks;
    }

    internal void AddDelta(long bytes, int chunks)
    {
        DeltaCount++;
        DeltaBytes += bytes;
        LastChunksWritten = chunks;
    }
}
