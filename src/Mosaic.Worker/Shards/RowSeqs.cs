namespace Mosaic.Worker.Shards;

/// <summary>The header of a replica's snapshots: a magic, then (row id, seq) of every row the snapshot reflects.</summary>
/// <remarks>On open, a row whose seq differs from the file's (or that is missing from either side) is repaired.</remarks>
internal static class RowSeqs
{
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

        var seqs = new Dictionary<long, long>(count);
        for (int i = 0; i < count; i++)
        {
            seqs[reader.ReadInt64()] = reader.ReadInt64();
        }

        return seqs;
    }
}
