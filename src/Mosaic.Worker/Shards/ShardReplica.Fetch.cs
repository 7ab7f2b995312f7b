using Mosaic.Core.Errors;
using Mosaic.Core.Placement;
using Mosaic.Core.Search;

namespace Mosaic.Worker.Shards;

public sealed partial class ShardReplica
{
    /// <summary>The payloads of a search's final hits held here (query-then-fetch), with one prepared statement.</summary>
    /// <exception cref="ShardUnavailableException">The replica is not serving (closed, moved, failed).</exception>
    /// <exception cref="PayloadBudgetExceededException">The payloads passed <see cref="ShardFetchRequest.MaxBytes"/>.</exception>
    public IReadOnlyList<DocPayload> Fetch(ShardFetchRequest request)
    {
        if (State != ReplicaState.Serving)
        {
            throw new ShardUnavailableException($"shard {Shard} of '{Collection.Name}' is {State.ToString().ToLowerInvariant()}");
        }

        Interlocked.Increment(ref _searchesInFlight);
        try
        {
            if (_closed)
            {
                throw new ShardUnavailableException($"shard {Shard} of '{Collection.Name}' was closed");
            }

            var reader = _file.Rent();
            try
            {
                return reader.Fetch(request.Ids, request.Rows, request.IncludeText, request.IncludeFields, request.IncludeVector, request.MaxBytes ?? long.MaxValue);
            }
            finally
            {
                _file.Return(reader);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _searchesInFlight);
        }
    }
}
