using System.IO.Hashing;
using System.Text;

namespace Mosaic.Core.Slots;

/// <summary>Maps a document to one of <see cref="SlotCount"/> slots with a stable hash.</summary>
/// <remarks>
/// The hash is xxHash64 over UTF-8 "collection\0id", so every process, machine and .NET version agrees on a
/// document's slot. .NET's string hash is randomized per process and must never be used for placement.
/// </remarks>
public static class SlotHasher
{
    public const int SlotCount = 1024;

    public static int SlotOf(string collection, string id)
    {
        int length = Encoding.UTF8.GetByteCount(collection) + 1 + Encoding.UTF8.GetByteCount(id);
        byte[]? rented = null;
        Span<byte> buffer = length <= 1024 ? stackalloc byte[length] : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(length));
        try
        {
            int written = Encoding.UTF8.GetBytes(collection, buffer);
            buffer[written++] = 0;
            written += Encoding.UTF8.GetBytes(id, buffer[written..]);
            ulong hash = XxHash64.HashToUInt64(buffer[..written]);
            return (int)(hash % SlotCount);
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
