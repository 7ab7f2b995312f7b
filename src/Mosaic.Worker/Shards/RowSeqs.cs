namespace Mosaic.Worker.Shards;

/// <summary>The header of a replica's snapshots: a magic, then (row id, seq) of every row the snapshot reflects.</summary>
/// <remarks>
/// On open, a row whose seq differs from the file's (or that is missing from either side) is repaired. A graph
/// snapshot delta holds only the rows changed since the file before it (<see cref="WriteChanges"/>), seq -1 for a
/// row that left; <see cref="ApplyChanges"/> replays them onto the base's list.
/// </remarks>
internal static class RowSeqs
{
    private const long Gone = -1;

    /// <summary>Writes (row, seq) for each of <paramref name="changed"/> that is included now, (row, -1) for the others.</summary>
    public static void WriteChanges(Stream stream, ReadOnlySpan<byte> magic, RowTable rows, Func<long, bool> include, IReadOnlyCollection<long> changed)
    {
        using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        writer.Write(magic);
        writer.Write(changed.Count);
        foreach (long row in changed)
        {
            writer.Write(row);
            writer.Write(rows.IdOf(row) is not null && include(row) ? rows.SeqOf(row) : Gone);
        }
    }

    /// <summary>Replays what <see cref="WriteChanges"/> wrote onto <paramref name="seqs"/>.</summary>
    public static void ApplyChanges(Dictionary<long, long> seqs, Dictionary<long, long> changes)
    {
        foreach (var (row, seq) in changes)
        {
            if (seq == Gone)
            {
                seqs.Remove(row);
            }
            else
            {
                seqs[row] = seq;
            }
        }
    }

    public static void Write(Stream stream, ReadOnlySpan<byte> magic, RowTable rows, Func<long, bool> include)
    {
        using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        var held = new List<(long Row, long Seq)>(rows.Count);
        for (long r = 0; r < rows.RowLimit; r++)
        {
            if (rows.IdOf(r) is not null && include(r))
            {
                held.Add((r, rows.SeqOf(r)));
            }
        }

        writer.Write(magic);
        writer.Write(held.Count);
        foreach (var (row, seq) in held)
        {
            writer.Write(row);
            writer.Write(seq);
        }
    }

    /// <exception cref="InvalidDataException">Another magic (not this kind of snapshot).</exception>
    public static Dictionary<long, long> Read(Stream stream, ReadOnlySpan<byte> magic)
    {
        using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        if (!reader.ReadBytes(magic.Length).AsSpan().SequenceEqual(magic))
        {
            throw new InvalidDataException("not a Mosaic snapshot of this kind");
        }

        int count = reader.ReadInt32();
        if (count < 0)
        {
            throw new InvalidDataException("snapshot header is corrupt");
        }

        var seqs = new Dictionary<long, long>(Math.Min(count, 1 << 20));
        for (int i = 0; i < count; i++)
        {
            seqs[reader.ReadInt64()] = reader.ReadInt64();
        }

        return seqs;
    }
}
