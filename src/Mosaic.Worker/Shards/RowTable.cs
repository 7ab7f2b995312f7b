using System.Collections.Concurrent;
using System.Text.Json;
using Mosaic.Core.Collections;

namespace Mosaic.Worker.Shards;

/// <summary>In-memory columns of a shard by row id: the document id and every declared field, for filters and hits.</summary>
/// <remarks>
/// One writer (the shard's applier) and many concurrent readers (queries). Storage is chunked: a chunk never moves once
/// allocated and only the small chunk directory is replaced when the table grows, so a reader never sees a torn array.
/// Keyword values are stored as codes (0 = missing) so a filter compares ints, not strings, and every code has a
/// posting list of its rows (<see cref="RowPostings"/>), and every number field a sorted column (<see cref="RowNumbers"/>), so
/// a selective filter visits only the rows it matches.
/// </remarks>
internal sealed class RowTable
{
    /// <summary>Rows per chunk, as a shift: a chunk's columns hold rows [c &lt;&lt; ChunkBits, (c + 1) &lt;&lt; ChunkBits).</summary>
    public const int ChunkBits = 12;
    private const int ChunkSize = 1 << ChunkBits;

    private readonly string[] _keywordFields;
    private readonly string[] _numberFields;
    private readonly ConcurrentDictionary<string, int>[] _keywordCodes;

    /// <summary>Per keyword field, the posting list of each code (index = code); replaced whole when a code is added.</summary>
    private readonly RowPostings?[][] _postings;

    /// <summary>Per number field, its rows sorted by value.</summary>
    private readonly RowNumbers[] _sorted;
    private Chunk?[] _chunks = new Chunk?[16];
    private bool _numbersDeferred;
    private int _count;

    public RowTable(IReadOnlyDictionary<string, FieldType> fields)
    {
        _keywordFields = fields.Where(f => f.Value == FieldType.Keyword).Select(f => f.Key).Order(StringComparer.Ordinal).ToArray();
        _numberFields = fields.Where(f => f.Value == FieldType.Number).Select(f => f.Key).Order(StringComparer.Ordinal).ToArray();
        _keywordCodes = _keywordFields.Select(_ => new ConcurrentDictionary<string, int>(StringComparer.Ordinal)).ToArray();
        _postings = _keywordFields.Select(_ => new RowPostings?[16]).ToArray();
        _sorted = _numberFields.Select(_ => new RowNumbers()).ToArray();
    }

    public int Count => Volatile.Read(ref _count);

    /// <summary>One past the highest row id ever stored: the bound for scans.</summary>
    public long RowLimit { get; private set; }

    public int KeywordIndex(string field) => Array.IndexOf(_keywordFields, field);

    public int NumberIndex(string field) => Array.IndexOf(_numberFields, field);

    /// <summary>The code of a keyword value, or -1 when no row ever had it (so nothing can match).</summary>
    public int KeywordCode(int field, string value) => _keywordCodes[field].TryGetValue(value, out int code) ? code : -1;

    /// <summary>The rows holding keyword <paramref name="code"/> of <paramref name="field"/>, or null when none ever did.</summary>
    public RowPostings? Postings(int field, int code)
    {
        var byCode = Volatile.Read(ref _postings[field]);
        return code > 0 && code < byCode.Length ? byCode[code] : null;
    }

    /// <summary>The rows of number field <paramref name="field"/> sorted by value.</summary>
    public RowNumbers Sorted(int field) => _sorted[field];

    /// <summary>
    /// Opening a shard: until <see cref="IndexNumbers"/>, <see cref="Set"/> leaves the sorted number columns alone, so that
    /// they are built once, in bulk, from the whole table (one sort rather than a leaf copy per row).
    /// </summary>
    public void DeferNumberIndex() => _numbersDeferred = true;

    /// <summary>Builds the sorted number columns from the table and keeps them current from now on.</summary>
    public void IndexNumbers()
    {
        for (int f = 0; f < _numberFields.Length; f++)
        {
            var pairs = new List<(double, long)>(Count);
            for (long r = 0; r < RowLimit; r++)
            {
                if (IdOf(r) is not null && Number(r, f) is var v && !double.IsNaN(v))
                {
                    pairs.Add((v, r));
                }
            }

            _sorted[f].Load(pairs);
        }

        _numbersDeferred = false;
    }

    public string? IdOf(long rowid)
    {
        var chunk = ChunkOf(rowid);
        return chunk?.Ids[rowid & (ChunkSize - 1)];
    }

    public int Keyword(long rowid, int field) => ChunkOf(rowid)?.Keywords[field][rowid & (ChunkSize - 1)] ?? 0;

    public double Number(long rowid, int field) => ChunkOf(rowid)?.Numbers[field][rowid & (ChunkSize - 1)] ?? double.NaN;

    /// <summary>Number field <paramref name="field"/> of chunk <paramref name="chunk"/>'s rows (NaN: missing), or null when
    /// the chunk was never written: a filter checking many rows of one chunk reads the column once, not the directory per row.</summary>
    public double[]? NumberChunk(long chunk, int field) => ChunkAt(chunk)?.Numbers[field];

    /// <summary>Keyword codes of field <paramref name="field"/> for chunk <paramref name="chunk"/>'s rows (0: missing), or null
    /// when the chunk was never written.</summary>
    public int[]? KeywordChunk(long chunk, int field) => ChunkAt(chunk)?.Keywords[field];

    public long SeqOf(long rowid) => ChunkOf(rowid)?.Seqs[rowid & (ChunkSize - 1)] ?? 0;

    public void Set(long rowid, string docId, long seq, string? fieldsJson)
    {
        var chunk = EnsureChunk(rowid);
        int i = (int)(rowid & (ChunkSize - 1));
        chunk.Seqs[i] = seq;
        Span<int> before = _keywordFields.Length <= 64 ? stackalloc int[_keywordFields.Length] : new int[_keywordFields.Length];
        for (int f = 0; f < _keywordFields.Length; f++)
        {
            before[f] = chunk.Ids[i] is null ? 0 : chunk.Keywords[f][i];
            chunk.Keywords[f][i] = 0;
        }

        Span<double> numbersBefore = _numberFields.Length <= 64 ? stackalloc double[_numberFields.Length] : new double[_numberFields.Length];
        for (int f = 0; f < _numberFields.Length; f++)
        {
            numbersBefore[f] = chunk.Ids[i] is null ? double.NaN : chunk.Numbers[f][i];
            chunk.Numbers[f][i] = double.NaN;
        }

        if (fieldsJson is not null && (_keywordFields.Length > 0 || _numberFields.Length > 0))
        {
            using var doc = JsonDocument.Parse(fieldsJson);
            for (int f = 0; f < _keywordFields.Length; f++)
            {
                if (doc.RootElement.TryGetProperty(_keywordFields[f], out var v) && v.ValueKind == JsonValueKind.String)
                {
                    var codes = _keywordCodes[f];
                    chunk.Keywords[f][i] = codes.GetOrAdd(v.GetString()!, static (_, c) => c.Count + 1, codes);
                }
            }

            for (int f = 0; f < _numberFields.Length; f++)
            {
                if (doc.RootElement.TryGetProperty(_numberFields[f], out var v) && v.ValueKind == JsonValueKind.Number)
                {
                    chunk.Numbers[f][i] = v.GetDouble();
                }
            }
        }

        for (int f = 0; f < _keywordFields.Length; f++)
        {
            int after = chunk.Keywords[f][i];
            if (after != before[f])
            {
                if (before[f] > 0)
                {
                    PostingsFor(f, before[f]).Remove(rowid);
                }

                if (after > 0)
                {
                    PostingsFor(f, after).Add(rowid);
                }
            }
        }

        for (int f = 0; f < _numberFields.Length; f++)
        {
            double after = chunk.Numbers[f][i];
            if (!_numbersDeferred && !after.Equals(numbersBefore[f]))
            {
                _sorted[f].Remove(numbersBefore[f], rowid);
                _sorted[f].Add(after, rowid);
            }
        }

        if (chunk.Ids[i] is null)
        {
            Interlocked.Increment(ref _count);
        }

        Volatile.Write(ref chunk.Ids[i], docId);
        RowLimit = Math.Max(RowLimit, rowid + 1);
    }

    public void Clear(long rowid)
    {
        var chunk = ChunkOf(rowid);
        int i = (int)(rowid & (ChunkSize - 1));
        if (chunk?.Ids[i] is not null)
        {
            Volatile.Write(ref chunk.Ids[i], null);
            Interlocked.Decrement(ref _count);
            for (int f = 0; f < _keywordFields.Length; f++)
            {
                if (chunk.Keywords[f][i] is > 0 and var code)
                {
                    PostingsFor(f, code).Remove(rowid);
                }
            }

            for (int f = 0; f < _numberFields.Length && !_numbersDeferred; f++)
            {
                _sorted[f].Remove(chunk.Numbers[f][i], rowid);
            }
        }
    }

    /// <summary>Writer only: the posting list of a code, created (and the per-field array grown) on first use.</summary>
    private RowPostings PostingsFor(int field, int code)
    {
        var byCode = _postings[field];
        if (code >= byCode.Length)
        {
            var grown = new RowPostings?[Math.Max(byCode.Length * 2, code + 1)];
            byCode.CopyTo(grown, 0);
            Volatile.Write(ref _postings[field], grown);
            byCode = grown;
        }

        return byCode[code] ??= new RowPostings();
    }

    private Chunk? ChunkOf(long rowid) => rowid >= 0 ? ChunkAt(rowid >> ChunkBits) : null;

    private Chunk? ChunkAt(long c)
    {
        var chunks = Volatile.Read(ref _chunks);
        return (ulong)c < (ulong)chunks.Length ? chunks[c] : null;
    }

    private Chunk EnsureChunk(long rowid)
    {
        long c = rowid >> ChunkBits;
        var chunks = _chunks;
        if (c >= chunks.Length)
        {
            var grown = new Chunk?[Math.Max(chunks.Length * 2, c + 1)];
            chunks.CopyTo(grown, 0);
            Volatile.Write(ref _chunks, grown);
            chunks = grown;
        }

        return chunks[c] ??= new Chunk(_keywordFields.Length, _numberFields.Length);
    }

    private sealed class Chunk(int keywordFields, int numberFields)
    {
        public readonly string?[] Ids = new string?[ChunkSize];
        public readonly long[] Seqs = new long[ChunkSize];
        public readonly int[][] Keywords = Enumerable.Range(0, keywordFields).Select(_ => new int[ChunkSize]).ToArray();
        public readonly double[][] Numbers = Enumerable.Range(0, numberFields).Select(_ => new double[ChunkSize]).ToArray();
    }
}
