using System.Text;
using Mosaic.Index.Storage;

namespace Mosaic.Index.Keyword;

public sealed partial class KeywordIndex
{
    // 02: terms of the analyzer that folds full-width forms and ligatures. A 01 file holds terms of the analyzer
    // before, which queries would no longer match: it is refused, and the shard rebuilds its index from the texts.
    private static ReadOnlySpan<byte> FileMagic => "MOSKWD02"u8;

    /// <summary>Writes the index: the dictionary, then each live document's label, length and (term, tf) pairs; XxHash64 trailer.</summary>
    /// <remarks>Postings are not written: <see cref="Load"/> rebuilds them from the forward lists, which needs no text analysis.</remarks>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _lock.EnterReadLock();
        try
        {
            var writer = new HashingWriter(stream);
            writer.WriteBytes(FileMagic);
            writer.WriteInt32(_termCount);
            byte[] buffer = new byte[Encoding.UTF8.GetMaxByteCount(KeywordAnalyzer.ScratchLength)];
            for (int t = 0; t < _termCount; t++)
            {
                int bytes = Encoding.UTF8.GetBytes(_termText[t], buffer);
                writer.WriteInt32(bytes);
                writer.WriteBytes(buffer.AsSpan(0, bytes));
            }

            writer.WriteInt32(_liveCount);
            for (int ord = 0; ord < _ordCount; ord++)
            {
                if (IsDeleted(ord))
                {
                    continue;
                }

                writer.WriteInt64(_labels[ord]);
                writer.WriteInt32(_lengths[ord]);
                int start = _fwdStart[ord];
                int distinct = _fwdStart[ord + 1] - start;
                writer.WriteInt32(distinct);
                for (int i = start; i < start + distinct; i++)
                {
                    writer.WriteInt32(_fwdTerms[i]);
                    writer.WriteInt32(_fwdTfs[i]);
                }
            }

            writer.Finish();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Reads an index written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">Not such a file, truncated, or its hash does not match.</exception>
    public static KeywordIndex Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var reader = new HashingReader(stream);
        Span<byte> magic = stackalloc byte[8];
        reader.ReadBytes(magic);
        if (!magic.SequenceEqual(FileMagic))
        {
            throw new InvalidDataException("not a Mosaic keyword index");
        }

        var index = new KeywordIndex();
        int terms = ReadCount(reader, int.MaxValue);
        index.Reset(Math.Max(1024, terms), 1024, 4096);
        byte[] buffer = new byte[Encoding.UTF8.GetMaxByteCount(KeywordAnalyzer.ScratchLength)];
        for (int t = 0; t < terms; t++)
        {
            int bytes = ReadCount(reader, buffer.Length);
            reader.ReadBytes(buffer.AsSpan(0, bytes));
            index.NewTerm(Encoding.UTF8.GetString(buffer, 0, bytes));
        }

        int docs = ReadCount(reader, int.MaxValue);
        var ids = new int[256];
        var tfs = new ushort[256];
        for (int d = 0; d < docs; d++)
        {
            long label = reader.ReadInt64();
            int length = ReadCount(reader, int.MaxValue);
            int distinct = ReadCount(reader, length);
            if (distinct > ids.Length)
            {
                ids = new int[distinct];
                tfs = new ushort[distinct];
            }

            for (int i = 0; i < distinct; i++)
            {
                ids[i] = ReadCount(reader, terms - 1);
                tfs[i] = (ushort)ReadCount(reader, ushort.MaxValue);
            }

            if (index._ordOf.ContainsKey(label) || distinct == 0)
            {
                throw new InvalidDataException("keyword index file holds a label twice or an empty document");
            }

            index.AppendAnalyzed(label, length, ids.AsSpan(0, distinct), tfs.AsSpan(0, distinct));
        }

        reader.VerifyTrailer();
        return index;
    }

    private static int ReadCount(HashingReader reader, int max)
    {
        int value = reader.ReadInt32();
        return value < 0 || value > max ? throw new InvalidDataException($"keyword index file is corrupt (value {value} outside 0..{max})") : value;
    }
}
