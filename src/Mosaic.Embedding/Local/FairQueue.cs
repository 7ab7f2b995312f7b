namespace Mosaic.Embedding.Local;

/// <summary>The requests waiting for the model, drawn into batches round-robin: one text from each in turn.</summary>
/// <remarks>
/// <para>
/// The rotation resumes between batches where the last one stopped, so with R requests waiting each gets at least one
/// text into every ceil(R / MaxBatchSize) batches, whatever their sizes: a one-text search query queued behind a 2,048-text
/// request waits for the batch running and is in the next. A batch still fills from several requests, or from one alone
/// when it is the only one waiting, so batching stays as efficient as first-come-first-served.
/// </para>
/// <para>
/// A batch holds at most the given texts and tokens (but always one text, however long): the token budget keeps the run
/// that a newcomer waits for short when the texts are long. Requests whose caller went away, or whose run failed, are
/// dropped when the rotation reaches them. After <see cref="Close"/>, what is queued is still handed out; then
/// <see cref="Take"/> answers false.
/// </para>
/// </remarks>
internal sealed class FairQueue(TimeProvider time)
{
    private readonly object _gate = new();
    private readonly LinkedList<EmbedJob> _waiting = new();
    private LinkedListNode<EmbedJob>? _next;
    private bool _closed;

    /// <summary>Queues a job with at least one text; false once closed.</summary>
    public bool TryAdd(EmbedJob job)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return false;
            }

            _waiting.AddLast(job);
            Monitor.PulseAll(_gate);
            return true;
        }
    }

    public void Close()
    {
        lock (_gate)
        {
            _closed = true;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>
    /// Blocks until a text waits, then fills <paramref name="batch"/>; while it is not full, waits up to
    /// <paramref name="maxWait"/> for more requests to join. False once closed with nothing left.
    /// </summary>
    public bool Take(List<EmbedSlot> batch, int maxTexts, int maxTokens, TimeSpan maxWait)
    {
        int tokens = 0;
        lock (_gate)
        {
            bool full = Fill(batch, maxTexts, maxTokens, ref tokens);
            while (batch.Count == 0)
            {
                if (_closed)
                {
                    return false;
                }

                Monitor.Wait(_gate);
                full = Fill(batch, maxTexts, maxTokens, ref tokens);
            }

            long since = time.GetTimestamp();
            while (!full && !_closed)
            {
                var left = maxWait - time.GetElapsedTime(since);
                if (left <= TimeSpan.Zero || !Monitor.Wait(_gate, left))
                {
                    break;
                }

                full = Fill(batch, maxTexts, maxTokens, ref tokens);
            }
        }

        return true;
    }

    /// <summary>Takes one text from each request in turn until the batch is full or nothing waits; true when full.</summary>
    private bool Fill(List<EmbedSlot> batch, int maxTexts, int maxTokens, ref int tokens)
    {
        while (_waiting.Count > 0)
        {
            if (batch.Count >= maxTexts)
            {
                return true;
            }

            var node = _next ?? _waiting.First!;
            var job = node.Value;
            if (job.Abandoned)
            {
                _next = node.Next;
                _waiting.Remove(node);
                continue;
            }

            int cost = job.NextTokens;
            if (batch.Count > 0 && tokens + cost > maxTokens)
            {
                // The rotation stays on this request: the next batch starts with its text.
                return true;
            }

            batch.Add(job.TakeNext());
            tokens += cost;
            _next = node.Next;
            if (!job.HasMore)
            {
                _waiting.Remove(node);
            }
        }

        return batch.Count >= maxTexts;
    }
}
