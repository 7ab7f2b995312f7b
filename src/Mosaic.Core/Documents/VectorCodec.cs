using System.Runtime.InteropServices;

namespace Mosaic.Core.Documents;

/// <summary>Vectors as little-endian float32 blobs, the on-disk form in the store and in shard files.</summary>
public static class VectorCodec
{
    public static byte[] ToBytes(ReadOnlySpan<float> vector) => MemoryMarshal.AsBytes(vector).ToArray();

    public static float[] FromBytes(ReadOnlySpan<byte> bytes) => MemoryMarshal.Cast<byte, float>(bytes).ToArray();
}
