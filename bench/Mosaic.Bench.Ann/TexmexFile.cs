namespace Mosaic.Bench.Ann;

/// <summary>TEXMEX .fvecs/.ivecs files (per row: int32 dimension, then that many 4-byte values), read into one row-major array or written from rows.</summary>
/// <remarks>Also compiled into bench/Mosaic.Bench.Embedding, which writes the real-text set bench/ann reads.</remarks>
internal static class TexmexFile
{
    public static T[] Read<T>(string path, out int rows, out int dimension)
        where T : unmanaged
    {
        using var stream = File.OpenRead(path);
        Span<byte> head = stackalloc byte[4];
        stream.ReadExactly(head);
        dimension = BitConverter.ToInt32(head);
        if (dimension <= 0)
        {
            throw new InvalidDataException($"{path}: bad dimension {dimension}");
        }

        long rowBytes = 4L * (dimension + 1);
        rows = (int)(stream.Length / rowBytes);
        var data = new T[(long)rows * dimension];
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan());
        stream.Position = 0;
        for (int i = 0; i < rows; i++)
        {
            stream.ReadExactly(head);
            if (BitConverter.ToInt32(head) != dimension)
            {
                throw new InvalidDataException($"{path}: inconsistent dimension in row {i}");
            }

            stream.ReadExactly(bytes.Slice(i * dimension * 4, dimension * 4));
        }

        return data;
    }

    public static void Write<T>(string path, IReadOnlyList<T[]> rows)
        where T : unmanaged
    {
        using var stream = new BufferedStream(File.Create(path), 1 << 20);
        foreach (var row in rows)
        {
            stream.Write(BitConverter.GetBytes(row.Length));
            stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(row.AsSpan()));
        }
    }
}
