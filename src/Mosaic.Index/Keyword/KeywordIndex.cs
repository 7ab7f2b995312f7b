using System.Runtime.CompilerServices;
using Mosaic.Core.Search;

namespace Mosaic.Index.Keyword;

/// <summary>A per-shard inverted index over the caller's <c>long</c> labels, answering top-k BM25 (see <see cref="Bm25"/>).</summary>
/// <remarks>
/// <para>Layout: documents get dense ordinals in arrival order, so every posting list is appended in ascending order
/// and never re-sorted. Each term's postings sit in flat arrays with per-block score bounds (<see cref="TermPostings"/>).
/// A forward list (term id, tf) per ordinal lets a delete decrement document frequencies exactly and lets the index
/// compact and save without re-analysing text.</para>
/// <para>Updates: <see cref="Add"/> of a known label deletes its old ordinal and appends a new one. A delete only marks
/// the ordinal; when more than a quarter of the ordinals (and over 1,000) are dead, the index rebuilds its postings
/// from the forward lists of the live documents, dropping terms no live document holds.</para>
/// <para>Statistics: <see cref="Count"/>, <see cref="TotalLength"/> and every term's document frequency count live
/// documents only, exactly. A document with no terms is not held (as in Lucene, it has no length and counts in no N).</para>
/// <para>Thread safety: any number of searches run together; writes take an exclusive lock, so keep them short
/// (one document each).</para>
/// </remarks>
public sealed partial class KeywordIndex : IDisposable
{
    private const int CompactMinDeleted = 1000;

    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly char[] _tokenScratch = new char[KeywordAnalyzer.ScratchLength];
    private Dictionary<string, int> _termIds = new(StringComparer.Ordinal);
    private Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _termLookup;
    private TermPostings[] _terms = new TermPostings[1024];
    private string[] _termText = new string[1024];
    private int _termCount;

    private readonly Dictionary<long, int> _ordOf = [];
    private long[] _labels = new long[1024];
    private int[] _lengths = new int[1024];
    private byte[] _norms = new byte[1024];
    private ulong[] _deleted = new ulong[16];
    private int _ordCount;
    private int _deletedCount;
    private int _liveCount;
    private long _totalLength;

    // Forward lists: the distinct terms of ordinal o are _fwdTerms[_fwdStart[o] .. _fwdStart[o + 1]).
    private int[] _fwdStart = new int[1025];
    private int[] _fwdTerms = new int[4096];
    private ushort[] _fwdTfs = new ushort[4096];
    private int _fwdCount;
    private int[] _docTerms = new int[256];

    public KeywordIndex()
    {
        _termLookup = _termIds.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Live documents held (documents with at least one term).</summary>
    public int Count => _liveCount;

    /// <summary>Tokens in all live documents.</summary>
    public long TotalLength => _totalLength;

    /// <summary>Distinct terms in the dictionary (may include terms only deleted documents held, until compaction).</summary>
    public int TermCount => _termCount;

    public bool Contains(long label)
    {
        _lock.EnterReadLock();
        try
        {
            return _ordOf.ContainsKey(label);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Indexes <paramref name="text"/> under <paramref name="label"/>, replacing what the label held. Text with no terms removes the label.</summary>
    public void Add(long label, ReadOnlySpan<char> text)
    {
        _lock.EnterWriteLock();
        try
        {
            if (_ordOf.Remove(label, out int old))
            {
                DeleteOrdinal(old);
            }

            int ord = _ordCount;
            EnsureDocCapacity(ord + 1);
            int length = 0;
            int distinct = 0;
            var tokenizer = new KeywordTokenizer(text, _tokenScratch);
            while (tokenizer.Next(out var term))
            {
                length++;
                if (!_termLookup.TryGetValue(term, out int id))
                {
                    id = NewTerm(term.ToString());
                }

                var postings = _terms[id];
                if (postings.Count > 0 && postings.Docs[postings.Count - 1] == ord)
                {
                    postings.Bump();
                }
                else
                {
                    postings.Append(ord);
                    if (distinct == _docTerms.Length)
                    {
                        Array.Resize(ref _docTerms, distinct * 2);
                    }

                    _docTerms[distinct++] = id;
                }
            }

            if (length == 0)
            {
                MaybeCompact();
                return;
            }

            byte norm = Bm25.EncodeLength(length);
            EnsureForwardCapacity(_fwdCount + distinct);
            for (int i = 0; i < distinct; i++)
            {
                var postings = _terms[_docTerms[i]];
                postings.Finish(norm);
                _fwdTerms[_fwdCount] = _docTerms[i];
                _fwdTfs[_fwdCount] = postings.Tfs[postings.Count - 1];
                _fwdCount++;
            }

            Publish(ord, label, length, norm);
            MaybeCompact();
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Removes the label; false if it was not held.</summary>
    public bool Remove(long label)
    {
        _lock.EnterWriteLock();
        try
        {
            if (!_ordOf.Remove(label, out int ord))
            {
                return false;
            }

            DeleteOrdinal(ord);
            MaybeCompact();
            return true;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>This index's own statistics for the query's terms: its part of the collection-wide <see cref="KeywordStats"/>.</summary>
    public KeywordStats Statistics(KeywordQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var df = new Dictionary<string, long>(query.Terms.Count, StringComparer.Ordinal);
        _lock.EnterReadLock();
        try
        {
            foreach (string term in query.Terms)
            {
                df[term] = _termIds.TryGetValue(term, out int id) ? _terms[id].LiveDf : 0;
            }

            return new KeywordStats(_liveCount, _totalLength, df);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public void Dispose() => _lock.Dispose();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsDeleted(int ord) => (_deleted[ord >> 6] & (1UL << ord)) != 0;

    private void Publish(int ord, long label, int length, byte norm)
    {
        _labels[ord] = label;
        _lengths[ord] = length;
        _norms[ord] = norm;
        _fwdStart[ord + 1] = _fwdCount;
        _ordCount = ord + 1;
        _ordOf[label] = ord;
        _liveCount++;
        _totalLength += length;
    }

    private int NewTerm(string term)
    {
        int id = _termCount;
        if (id == _terms.Length)
        {
            Array.Resize(ref _terms, id * 2);
            Array.Resize(ref _termText, id * 2);
        }

        _terms[id] = new TermPostings();
        _termText[id] = term;
        _termIds.Add(term, id);
        _termCount = id + 1;
        return id;
    }

    private void DeleteOrdinal(int ord)
    {
        _deleted[ord >> 6] |= 1UL << ord;
        for (int f = _fwdStart[ord]; f < _fwdStart[ord + 1]; f++)
        {
            _terms[_fwdTerms[f]].LiveDf--;
        }

        _deletedCount++;
        _liveCount--;
        _totalLength -= _lengths[ord];
    }

    private void EnsureDocCapacity(int ords)
    {
        if (ords > _labels.Length)
        {
            int size = Math.Max(ords, _labels.Length * 2);
            Array.Resize(ref _labels, size);
            Array.Resize(ref _lengths, size);
            Array.Resize(ref _norms, size);
            Array.Resize(ref _fwdStart, size + 1);
        }

        if ((ords + 63) >> 6 > _deleted.Length)
        {
            Array.Resize(ref _deleted, Math.Max((ords + 63) >> 6, _deleted.Length * 2));
        }
    }

    private void EnsureForwardCapacity(int entries)
    {
        if (entries > _fwdTerms.Length)
        {
            int size = Math.Max(entries, _fwdTerms.Length * 2);
            Array.Resize(ref _fwdTerms, size);
            Array.Resize(ref _fwdTfs, size);
        }
    }

    private void MaybeCompact()
    {
        if (_deletedCount > CompactMinDeleted && _deletedCount * 4L > _ordCount)
        {
            Compact();
        }
    }
}
