namespace Mosaic.Core.Consistency;

/// <summary>Slot sequence numbers only grow: the one lock-free way to record a newer one that both stores' and
/// coordinators' caches of slot heads share.</summary>
public static class SlotSeq
{
    /// <summary>Sets <paramref name="location"/> to <paramref name="seq"/> unless it already holds as much (atomically).</summary>
    public static void Raise(ref long location, long seq)
    {
        long seen = Volatile.Read(ref location);
        while (seq > seen)
        {
            long was = Interlocked.CompareExchange(ref location, seq, seen);
            if (was == seen)
            {
                return;
            }

            seen = was;
        }
    }
}
