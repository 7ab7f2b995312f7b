using System.Diagnostics;
using Mosaic.Core.Changes;

namespace Mosaic.Worker.Shards;

/// <summary>The replica's indexing backlog: changes in the log it has not applied yet, in seconds of its own apply rate.</summary>
public sealed partial class ShardReplica
{
    // Changes the log held beyond what was applied, as of the last read of the slot heads; set by the apply loop only.
    private long _pendingChanges;

    // Changes applied per second of apply work (not of idle time): a moving average over the last batches.
    private double _applyPerSecond;

    // Until the first batch is timed: about what one core indexes of 128-d vectors at the default HNSW settings.
    private const double AssumedApplyPerSecond = 2000;

    /// <summary>How long this replica needs to apply what the log holds beyond it (including the batch it is applying), at
    /// its recent apply rate.</summary>
    public TimeSpan Backlog
    {
        get
        {
            long pending = Volatile.Read(ref _pendingChanges);
            double rate = Volatile.Read(ref _applyPerSecond);
            return pending <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(pending / (rate > 0 ? rate : AssumedApplyPerSecond));
        }
    }

    /// <summary>How long this replica needs to apply the log up to <paramref name="heads"/> (the store's current slot heads of
    /// its range), at its recent apply rate: unlike <see cref="Backlog"/>, this counts commits it has not looked at yet.</summary>
    public TimeSpan BacklogUpTo(IReadOnlyDictionary<int, long> heads)
    {
        var applied = _applied;
        long pending = 0;
        foreach (var (slot, head) in heads)
        {
            pending += Math.Max(0, head - applied.GetValueOrDefault(slot));
        }

        double rate = Volatile.Read(ref _applyPerSecond);
        return pending <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(pending / (rate > 0 ? rate : AssumedApplyPerSecond));
    }

    /// <summary>Changes every time this replica applies a batch; pass it to <see cref="WaitAppliedAsync"/>.</summary>
    public long AppliedGeneration => _appliedSignal.Generation;

    /// <summary>Returns when a batch was applied after <paramref name="generation"/>, or after <paramref name="timeout"/>.</summary>
    public Task WaitAppliedAsync(long generation, TimeSpan timeout, CancellationToken ct) =>
        _appliedSignal.WaitAsync(generation, timeout, _time, ct);

    private void ApplyTimed(List<ChangeRecord> batch, long pendingBefore)
    {
        Volatile.Write(ref _pendingChanges, pendingBefore);
        long started = Stopwatch.GetTimestamp();
        Apply(batch);
        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        if (seconds > 0)
        {
            double rate = batch.Count / seconds;
            double previous = _applyPerSecond;
            Volatile.Write(ref _applyPerSecond, previous <= 0 ? rate : (0.7 * previous) + (0.3 * rate));
        }

        Volatile.Write(ref _pendingChanges, Math.Max(0, pendingBefore - batch.Count));
        _appliedSignal.Notify();
    }
}
