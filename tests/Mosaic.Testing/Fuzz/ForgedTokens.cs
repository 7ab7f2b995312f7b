using System.Buffers.Binary;

namespace Mosaic.Testing.Fuzz;

/// <summary>Consistency tokens that parse but lie: from a real one, sequences far ahead of the log, slots the write never
/// touched, another collection's id.</summary>
/// <remarks>The format (base64url of version 1, collection id, count, then (slot, seq) pairs, little-endian) is the one the
/// server documents in <c>ConsistencyToken</c>; the fuzz writes it itself so the server's parser is not trusted to make its own input.</remarks>
public static class ForgedTokens
{
    /// <summary>Each forgery of <paramref name="token"/> with what it is.</summary>
    public static IEnumerable<(string Name, string Token)> From(string token)
    {
        var (collection, pairs) = Decode(token);
        yield return ("sequences a million ahead", Encode(collection, pairs.Select(p => (p.Slot, p.Seq + 1_000_000))));
        yield return ("sequences at long.MaxValue", Encode(collection, pairs.Select(p => (p.Slot, long.MaxValue))));
        yield return ("every slot at sequence 1", Encode(collection, Enumerable.Range(0, 1024).Select(s => (s, 1L))));
        yield return ("another collection's id", Encode(collection + 1000, pairs));
        yield return ("collection id -1", Encode(-1, pairs));
        yield return ("no slots", Encode(collection, []));
    }

    private static (long Collection, List<(int Slot, long Seq)> Pairs) Decode(string token)
    {
        string b64 = token.Replace('-', '+').Replace('_', '/');
        byte[] bytes = Convert.FromBase64String(b64.PadRight(b64.Length + ((4 - (b64.Length % 4)) % 4), '='));
        long collection = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(1));
        int count = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(9));
        var pairs = Enumerable.Range(0, count).Select(i => ((int)BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(11 + (i * 10))), BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(13 + (i * 10))))).ToList();
        return (collection, pairs);
    }

    private static string Encode(long collection, IEnumerable<(int Slot, long Seq)> pairs)
    {
        var list = pairs.ToList();
        var bytes = new byte[11 + (list.Count * 10)];
        bytes[0] = 1;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(1), collection);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(9), (ushort)list.Count);
        for (int i = 0; i < list.Count; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(11 + (i * 10)), (ushort)list[i].Slot);
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(13 + (i * 10)), list[i].Seq);
        }

        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
