using System.Buffers;
using System.Text;
using Microsoft.Extensions.Caching.Hybrid;
using Mosaic.Coordinator.Reads;
using Mosaic.Core.Search;

namespace Mosaic.Coordinator.Caching;

/// <summary>The L2 (Redis) form of a <see cref="CachedAnswer"/>: a compact binary layout, versioned by its first byte.</summary>
/// <remarks>
/// Layout: format byte, shard counts, coverage, hit count, then per hit id, score and the optional payloads (text,
/// fields JSON, vector). A value in an unknown format (written by another Mosaic version) reads as an error, which the
/// cache treats as a miss.
/// </remarks>
public sealed class CachedAnswerSerializer : IHybridCacheSerializer<CachedAnswer>
{
    private const byte Format = 1;

    public CachedAnswer Deserialize(ReadOnlySequence<byte> source)
    {
        using var reader = new BinaryReader(new MemoryStream(source.ToArray()), Encoding.UTF8);
        if (reader.ReadByte() != Format)
        {
            throw new InvalidDataException("cached answer in an unknown format");
        }

        int total = reader.ReadInt32();
        int ok = reader.ReadInt32();
        double coverage = reader.ReadDouble();
        int count = reader.ReadInt32();
        var hits = new ScoredDoc[count];
        for (int i = 0; i < count; i++)
        {
            string id = reader.ReadString();
            float score = reader.ReadSingle();
            string? text = reader.ReadBoolean() ? reader.ReadString() : null;
            string? fields = reader.ReadBoolean() ? reader.ReadString() : null;
            float[]? vector = null;
            if (reader.ReadBoolean())
            {
                vector = new float[reader.ReadInt32()];
                for (int d = 0; d < vector.Length; d++)
                {
                    vector[d] = reader.ReadSingle();
                }
            }

            hits[i] = new ScoredDoc(id, score, text, fields, vector);
        }

        return new CachedAnswer(new SearchAnswer(hits, 0, total, ok, [], coverage));
    }

    public void Serialize(CachedAnswer value, IBufferWriter<byte> target)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(target);
        var answer = value.Answer;
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Format);
            writer.Write(answer.ShardsTotal);
            writer.Write(answer.ShardsOk);
            writer.Write(answer.Coverage);
            writer.Write(answer.Hits.Count);
            foreach (var hit in answer.Hits)
            {
                writer.Write(hit.Id);
                writer.Write(hit.Score);
                WriteOptional(writer, hit.Text);
                WriteOptional(writer, hit.FieldsJson);
                writer.Write(hit.Vector is not null);
                if (hit.Vector is { } vector)
                {
                    writer.Write(vector.Length);
                    foreach (float v in vector)
                    {
                        writer.Write(v);
                    }
                }
            }
        }

        target.Write(stream.GetBuffer().AsSpan(0, (int)stream.Length));
    }

    /// <summary>The bytes <see cref="Serialize"/> writes for <paramref name="answer"/>, counted without writing them.</summary>
    public static long SizeOf(SearchAnswer answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        // Format byte, two shard counts, coverage, hit count.
        long size = 1 + 4 + 4 + 8 + 4;
        foreach (var hit in answer.Hits)
        {
            // Id, score, then a presence byte for each optional payload.
            size += StringSize(hit.Id) + 4 + 3 + OptionalSize(hit.Text) + OptionalSize(hit.FieldsJson);
            if (hit.Vector is { } vector)
            {
                size += 4 + (4L * vector.Length);
            }
        }

        return size;
    }

    private static long OptionalSize(string? value) => value is null ? 0 : StringSize(value);

    /// <summary>BinaryWriter's string: the UTF-8 byte count as a 7-bit varint, then the bytes.</summary>
    private static long StringSize(string value)
    {
        int bytes = Encoding.UTF8.GetByteCount(value);
        int prefix = 1;
        for (int rest = bytes >> 7; rest > 0; rest >>= 7)
        {
            prefix++;
        }

        return prefix + bytes;
    }

    private static void WriteOptional(BinaryWriter writer, string? value)
    {
        writer.Write(value is not null);
        if (value is not null)
        {
            writer.Write(value);
        }
    }
}
