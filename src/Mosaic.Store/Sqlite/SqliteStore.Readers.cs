using System.Collections.Concurrent;

namespace Mosaic.Store.Sqlite;

/// <summary>Pooled <see cref="StoreReader"/>s for the reads that run once per write or per replica wake-up.</summary>
public sealed partial class SqliteStore
{
    /// <summary>Idle readers kept for reuse: the replicas tailing at once plus a few request threads is plenty.</summary>
    private const int MaxIdleReaders = 8;

    private readonly ConcurrentBag<StoreReader> _readers = [];
    private volatile bool _disposed;

    private T WithReader<T>(Func<StoreReader, T> read)
    {
        var reader = _readers.TryTake(out var idle) ? idle : new StoreReader(Open());
        T result;
        try
        {
            result = read(reader);
        }
        catch
        {
            // A failed connection is not reused.
            reader.Dispose();
            throw;
        }

        if (_disposed || _readers.Count >= MaxIdleReaders)
        {
            reader.Dispose();
        }
        else
        {
            _readers.Add(reader);
            if (_disposed && _readers.TryTake(out var late))
            {
                // Disposed while this one was being given back: nobody will drain the bag again.
                late.Dispose();
            }
        }

        return result;
    }
}
