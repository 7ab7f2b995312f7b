using System.Buffers.Binary;
using Mosaic.Core.Slots;

namespace Mosaic.Core.Consistency;

/// <summary>What a write acknowledged: for each slot it touched, the change-log sequence it reached.</summary>
/// <remarks>
/// A reader that passes the token back waits until every shard has applied at least those sequences
/// (read-your-writes). Encoded as base64url of: version byte, collection id, count, then (slot, seq) pairs.
/// </remarks>
public sealed class ConsistencyToken
{
    private const byte FormatVersion = 1;

    public ConsistencyToken(long collectionId, IReadOnlyDictionary<int, long> slotSeqs)
    {
        CollectionId = collectionId;
        SlotSeqs = slotSeqs;
    }

    public long CollectionId { get; }

    public IReadOnlyDictionary<int, long> SlotSeqs { get; }

    public string Encode()
    {
        var bytes = new byte[1 + 8 + 2 + SlotSeqs.Count * 10];
        bytes[0] = FormatVersion;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(1), CollectionId);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(9), (ushort)SlotSeqs.Count);
        int offset = 11;
        foreach (var (slot, seq) in SlotSeqs.OrderBy(p => p.Key))
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(offset), (ushort)slot);
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(offset + 2), seq);
            offset += 10;
        }

        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static bool TryParse(string? text, out ConsistencyToken? token)
    {
        token = null;
        if (string.IsNullOrEmpty(text) || text.Length > 20_000)
        {
            return false;
        }

        string b64 = text.Replace('-', '+').Replace('_', '/');
        b64 = b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '=');
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(b64);
        }
        catch (FormatException)
        {
            return false;
        }

        if (bytes.Length < 11 || bytes[0] != FormatVersion)
        {
            return false;
        }

        long collectionId = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(1));
        int count = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(9));
        if (bytes.Length != 11 + count * 10)
        {
            return false;
        }

        var seqs = new Dictionary<int, long>(count);
        for (int i = 0; i < count; i++)
        {
            int slot = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(11 + i * 10));
            long seq = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(13 + i * 10));
            if (slot >= SlotHasher.SlotCount || seq < 1 || !seqs.TryAdd(slot, seq))
            {
                return false;
            }
        }

        token = new ConsistencyToken(collectionId, seqs);
        return true;
    }
}
