using Microsoft.Extensions.Logging;
using Mosaic.Core.Embedding;
using Mosaic.Core.Errors;
using Mosaic.Core.Seams;
using Mosaic.Embedding.Onnx;

namespace Mosaic.Embedding.Local;

/// <summary>Embeds in this process: every request joins a queue, and model runs take texts from the requests waiting as one batch.</summary>
/// <remarks>
/// <para>
/// Dynamic batching: a run takes up to <see cref="EmbeddingOptions.MaxBatchSize"/> texts and
/// <see cref="EmbeddingOptions.MaxBatchTokens"/> tokens, waiting at most <see cref="EmbeddingOptions.MaxBatchWait"/> for
/// more once it has one; texts arriving while a run is busy form the next batch. Concurrent requests therefore share runs
/// (cheaper per text) without any request waiting long for company. Batches draw from the waiting requests round-robin
/// (<see cref="FairQueue"/>), so a search's one query text is not queued behind a large request's thousands.
/// Within a batch, texts are sorted by length and cut where the padding would double the work, so one long document
/// does not make every short query in its batch pay for its length.
/// </para>
/// <para>
/// <see cref="EmbeddingOptions.Threads"/> dedicated threads run the model, one run each at a time: that is all the CPU
/// the model ever takes here (the caller's thread tokenizes its own texts, a small fraction of a model run, so that batches
/// can be cut by tokens). The model loads on first use (about a second), so roles that never embed never pay.
/// </para>
/// </remarks>
public sealed partial class LocalEmbedder : IEmbedder, IDisposable
{
    private readonly FairQueue _queue;
    private readonly Lazy<MiniLmModel> _model;
    private readonly EmbeddingOptions _options;
    private readonly EmbeddingStats _stats;
    private readonly ILogger<LocalEmbedder> _logger;
    private readonly TimeProvider _time;
    private readonly Thread[] _threads;

    public LocalEmbedder(EmbeddingOptions options, EmbeddingStats stats, TimeProvider time, ILogger<LocalEmbedder> logger)
    {
        _options = options;
        _time = time;
        _stats = stats;
        _logger = logger;
        _queue = new FairQueue(time);
        _model = new Lazy<MiniLmModel>(LoadModel, LazyThreadSafetyMode.ExecutionAndPublication);
        _threads = new Thread[options.Threads];
        for (int i = 0; i < _threads.Length; i++)
        {
            _threads[i] = new Thread(RunLoop) { IsBackground = true, Name = $"mosaic-embed-{i}" };
            _threads[i].Start();
        }
    }

    /// <summary>Loads the model now (an embedder node does at start, so its first request is not the slow one).</summary>
    public void Warm() => _ = _model.Value;

    public async Task<EmbeddingResult> EmbedAsync(string model, IReadOnlyList<string> texts, CancellationToken ct)
    {
        _ = EmbeddingModel.Get(model, "model");
        if (texts.Count == 0)
        {
            return new EmbeddingResult([], 0);
        }

        var loaded = Model();
        var job = new EmbedJob(texts.Select(loaded.Tokenize).ToList(), ct);
        if (!_queue.TryAdd(job))
        {
            throw new MosaicException(ErrorKind.Unavailable, "embedder_unavailable", "the embedder is shutting down") { RetryAfter = TimeSpan.FromSeconds(1) };
        }

        return await job.Done.WaitAsync(ct).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _queue.Close();
        foreach (var thread in _threads)
        {
            thread.Join(TimeSpan.FromSeconds(5));
        }

        if (_model.IsValueCreated)
        {
            _model.Value.Dispose();
        }
    }

    private MiniLmModel LoadModel()
    {
        long started = _time.GetTimestamp();
        var model = MiniLmModel.Load();
        LogLoaded(_logger, EmbeddingModel.MiniLm.Name, _time.GetElapsedTime(started).TotalMilliseconds, _options.Threads, _options.MaxBatchSize);
        return model;
    }

    /// <summary>The model, loaded on first use; a model that cannot load is the embedder's failure (503), not the caller's.</summary>
    private MiniLmModel Model()
    {
        try
        {
            return _model.Value;
        }
        catch (Exception ex) when (ex is not MosaicException)
        {
            throw Failed(ex);
        }
    }

    private static MosaicException Failed(Exception ex) =>
        new(ErrorKind.Unavailable, "embedder_failed", "the embedding model failed: " + ex.Message) { RetryAfter = TimeSpan.FromSeconds(1) };

    private void RunLoop()
    {
        var batch = new List<EmbedSlot>(_options.MaxBatchSize);
        while (_queue.Take(batch, _options.MaxBatchSize, _options.MaxBatchTokens, _options.MaxBatchWait))
        {
            try
            {
                Run(batch);
            }
            catch (Exception ex)
            {
                LogRunFailed(_logger, ex, batch.Count);
                var failure = Failed(ex);
                foreach (var slot in batch)
                {
                    slot.Job.Fail(failure);
                }
            }

            batch.Clear();
        }
    }

    private void Run(List<EmbedSlot> batch)
    {
        var model = _model.Value;
        // A caller that gave up does not cost a model run.
        var byLength = batch.Where(s => !s.Job.Abandoned).OrderBy(s => s.Ids.Count).ToList();
        int start = 0;
        for (int i = 1; i <= byLength.Count; i++)
        {
            // Cut when the next text is more than twice the first of this run (8 tokens of slack, so short texts stay together).
            if (i == byLength.Count || byLength[i].Ids.Count > (2 * byLength[start].Ids.Count) + 8)
            {
                var part = byLength.GetRange(start, i - start);
                var (vectors, tokens) = model.Embed(part.Select(s => s.Ids).ToList());
                _stats.ModelRun(part.Count, tokens.Sum());
                for (int j = 0; j < part.Count; j++)
                {
                    part[j].Job.Complete(part[j].Index, vectors[j]);
                }

                start = i;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedding model {Model} loaded in {Ms:F0} ms ({Threads} inference thread(s), batches up to {MaxBatch})")]
    private static partial void LogLoaded(ILogger logger, string model, double ms, int threads, int maxBatch);

    [LoggerMessage(Level = LogLevel.Error, Message = "Embedding model run of {Count} text(s) failed")]
    private static partial void LogRunFailed(ILogger logger, Exception ex, int count);
}
