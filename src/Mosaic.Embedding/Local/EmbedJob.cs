using Mosaic.Core.Embedding;

namespace Mosaic.Embedding.Local;

/// <summary>One caller's texts waiting for the model: taken text by text into batches, answered when the last is embedded.</summary>
/// <remarks>
/// Texts are taken in order by <see cref="FairQueue"/> under its lock; their vectors come back from any inference thread,
/// in any order, and the last one completes <see cref="Done"/>. A job whose caller went away or one of whose runs failed
/// is <see cref="Abandoned"/>: the queue drops it and runs nothing more of it.
/// </remarks>
internal sealed class EmbedJob
{
    private readonly IReadOnlyList<IReadOnlyList<int>> _ids;
    private readonly float[][] _vectors;
    private readonly int _tokens;
    private readonly TaskCompletionSource<EmbeddingResult> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _taken;
    private int _left;

    /// <param name="ids">The model's token ids of each text, in the caller's order.</param>
    /// <param name="cancellation">The caller's token: once cancelled, the rest of its texts cost no model run.</param>
    public EmbedJob(IReadOnlyList<IReadOnlyList<int>> ids, CancellationToken cancellation)
    {
        _ids = ids;
        _vectors = new float[ids.Count][];
        _tokens = ids.Sum(t => t.Count);
        _left = ids.Count;
        Cancellation = cancellation;
    }

    public CancellationToken Cancellation { get; }

    /// <summary>The vectors in the caller's order and the tokens the model saw, once every text is embedded.</summary>
    public Task<EmbeddingResult> Done => _done.Task;

    public bool Abandoned => Cancellation.IsCancellationRequested || _done.Task.IsCompleted;

    /// <summary>Whether a text is left to take (the queue's lock guards taking).</summary>
    public bool HasMore => _taken < _ids.Count;

    /// <summary>Tokens of the next text to take.</summary>
    public int NextTokens => _ids[_taken].Count;

    public EmbedSlot TakeNext() => new(this, _taken++);

    public IReadOnlyList<int> Ids(int index) => _ids[index];

    public void Complete(int index, float[] vector)
    {
        _vectors[index] = vector;
        // The decrement is a full fence: whoever sees zero sees every vector written before it.
        if (Interlocked.Decrement(ref _left) == 0)
        {
            _done.TrySetResult(new EmbeddingResult(_vectors, _tokens));
        }
    }

    public void Fail(Exception failure) => _done.TrySetException(failure);
}

/// <summary>One text of a job in a batch: the job and the text's position in it.</summary>
internal readonly record struct EmbedSlot(EmbedJob Job, int Index)
{
    public IReadOnlyList<int> Ids => Job.Ids(Index);
}
