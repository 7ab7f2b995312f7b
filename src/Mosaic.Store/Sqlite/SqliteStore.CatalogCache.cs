using System.Collections.Concurrent;
using Mosaic.Core.Collections;

namespace Mosaic.Store.Sqlite;

/// <summary>Collections (by name, and the whole list), cached and checked against the routing version on every look-up.</summary>
/// <remarks>
/// Every write resolves its collection first, and every commit wakes the worker node, which lists the catalog; read from
/// the tables each took an open, a transaction, three statements parsed and every spec's JSON parsed (perf under 16
/// concurrent single PUTs). Every catalog or shard map change bumps <c>placement_version</c> in its own transaction, so
/// an entry read in one snapshot together with the version it saw is still exact while the committed version is the
/// same: a look-up costs one prepared one-row read.
/// </remarks>
public sealed partial class SqliteStore
{
    /// <summary>One entry per existing collection asked for, replaced when the routing version moves; a dropped
    /// collection's entry goes at its next look-up, and unknown names are never kept.</summary>
    private readonly ConcurrentDictionary<string, (long Version, CollectionInfo? Info)> _catalog = new(StringComparer.Ordinal);

    private volatile CachedList? _list;

    public Task<IReadOnlyList<CollectionInfo>> ListAsync(CancellationToken ct)
    {
        long version = WithReader(static reader => reader.RoutingVersion());
        if (_list is { } cached && cached.Version == version)
        {
            return Task.FromResult(cached.Collections);
        }

        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: true);
        var list = new CachedList(ReadPlacementVersion(connection, transaction), ReadCollections(connection, transaction));
        _list = list;
        return Task.FromResult(list.Collections);
    }

    public Task<CollectionInfo?> GetAsync(string name, CancellationToken ct)
    {
        long version = WithReader(static reader => reader.RoutingVersion());
        if (_catalog.TryGetValue(name, out var cached) && cached.Version == version)
        {
            return Task.FromResult(cached.Info);
        }

        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: true);
        long seen = ReadPlacementVersion(connection, transaction);
        var info = Find(connection, name, transaction);
        if (info is null)
        {
            _catalog.TryRemove(name, out _);
        }
        else
        {
            _catalog[name] = (seen, info);
        }

        return Task.FromResult(info);
    }

    private sealed record CachedList(long Version, IReadOnlyList<CollectionInfo> Collections);
}
