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

    /// <summary>Marks a routing value's hash input ("collection\0\x01value"), so it never equals an id's.</summary>
    private const byte RoutingValueMarker = 1;

    public static int SlotOf(string collection, string id) => (int)(Hash(collection, id, routingValue: false) % SlotCount);

    /// <summary>xxHash64 over UTF-8 "collection\0key", or "collection\0\x01key" for a routing value.</summary>
    internal static ulong Hash(string collection, string key, bool routingValue)
    {
        int length = Encoding.UTF8.GetByteCount(collection) + (routingValue ? 2 : 1) + Encoding.UTF8.GetByteCount(key);
        byte[]? rented = null;
        Span<byte> buffer = length <= 1024 ? stackalloc byte[length] : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(length));
        try
        {
            int written = Encoding.UTF8.GetBytes(collection, buffer);
            buffer[written++] = 0;
            if (routingValue)
            {
                buffer[written++] = RoutingValueMarker;
            }

            written += Encoding.UTF8.GetBytes(key, buffer[written..]);
            return XxHash64.HashToUInt64(buffer[..written]);
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
