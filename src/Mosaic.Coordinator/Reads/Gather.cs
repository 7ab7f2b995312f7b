namespace Mosaic.Coordinator.Reads;

/// <summary>Waits for a scatter's calls without the cost of <see cref="Task.WhenAll{TResult}(Task{TResult}[])"/> when they are already done.</summary>
/// <remarks>
/// In-process shards answer a vector search and a payload fetch on the caller's thread, so their tasks are complete by the
/// time they are gathered; WhenAll would still allocate a promise and a result array per gather.
/// </remarks>
internal static class Gather
{
    /// <summary>The results of <paramref name="calls"/> in order, once all are done; throws as WhenAll does if one failed.</summary>
    public static ValueTask<T[]> AllAsync<T>(Task<T>[] calls)
    {
        foreach (var call in calls)
        {
            if (!call.IsCompletedSuccessfully)
            {
                return new ValueTask<T[]>(Task.WhenAll(calls));
            }
        }

        var results = new T[calls.Length];
        for (int i = 0; i < calls.Length; i++)
        {
            results[i] = calls[i].Result;
        }

        return new ValueTask<T[]>(results);
    }
}
