using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Mosaic.Core.Embedding;
using Mosaic.Core.Errors;
using Mosaic.Core.Seams;
using Mosaic.Embedding.Onnx;

namespace Mosaic.Embedding.Local;

/// <summary>Embeds in this process: every text joins a queue, and model runs take whatever is queued as one batch.</summary>
/// <remarks>
/// <para>
/// Dynamic batching: a run takes up to <see cref="EmbeddingOptions.MaxBatchSize"/> texts, waiting at most
/// <see cref="EmbeddingOptions.MaxBatchWait"/> for more once it has one; texts arriving while a run is busy form the next
/// batch. Concurrent requests therefore share runs (cheaper per text) without any request waiting long for company.
/// Within a batch, texts are sorted by length and cut where the padding would double the work, so one long document
/// does not make every short query in its batch pay for its length.
/// </para>
/// <para>
/// <see cref="EmbeddingOptions.Threads"/> dedicated threads run the model, one run each at a time: that is all the CPU
/// embedding ever takes here. The model loads on first use (about a second), so roles that never embed never pay.
/// </para>
/// </remarks>
public sealed partial class LocalEmbedder : IEmbedder, IDisposable
{
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleWriter = false });
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

        var pending = new Pending[texts.Count];
        for (int i = 0; i < texts.Count; i++)
        {
            pending[i] = new Pending(texts[i], ct);
            if (!_queue.Writer.TryWrite(pending[i]))
            {
                throw new MosaicException(ErrorKind.Unavailable, "embedder_unavailable", "the embedder is shutting down") { RetryAfter = TimeSpan.FromSeconds(1) };
            }
        }

        var vectors = new float[texts.Count][];
        int tokens = 0;
        for (int i = 0; i < pending.Length; i++)
        {
            var (vector, count) = await pending[i].Done.Task.WaitAsync(ct).ConfigureAwait(false);
            vectors[i] = vector;
            tokens += count;
        }

        return new EmbeddingResult(vectors, tokens);
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
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

    private void RunLoop()
    {
        var batch = new List<Pending>(_options.MaxBatchSize);
        while (Take(batch))
        {
            try
            {
                Run(batch);
            }
            catch (Exception ex)
            {
                LogRunFailed(_logger, ex, batch.Count);
                var failure = new MosaicException(ErrorKind.Unavailable, "embedder_failed", "the embedding model failed: " + ex.Message) { RetryAfter = TimeSpan.FromSeconds(1) };
                foreach (var item in batch)
                {
                    item.Done.TrySetException(failure);
                }
            }

            batch.Clear();
        }
    }

    /// <summary>Blocks for the first text, then gathers what is queued (waiting up to MaxBatchWait for more); false once closed.</summary>
    private bool Take(List<Pending> batch)
    {
        var reader = _queue.Reader;
        while (batch.Count == 0)
        {
            if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                return false;
            }

            Drain(batch);
        }

        long since = _time.GetTimestamp();
        while (batch.Count < _options.MaxBatchSize)
        {
            var left = _options.MaxBatchWait - _time.GetElapsedTime(since);
            if (left <= TimeSpan.Zero || !reader.WaitToReadAsync().AsTask().Wait(left))
            {
                break;
            }

            Drain(batch);
        }

        return true;
    }

    private void Drain(List<Pending> batch)
    {
        while (batch.Count < _options.MaxBatchSize && _queue.Reader.TryRead(out var item))
        {
            // A caller that gave up does not cost a model run.
            if (!item.Cancellation.IsCancellationRequested)
            {
                batch.Add(item);
            }
        }
    }

    private void Run(List<Pending> batch)
    {
        var model = _model.Value;
        var byLength = batch.Select(p => (Item: p, Length: p.Text.Length)).OrderBy(p => p.Length).ToList();
        int start = 0;
        for (int i = 1; i <= byLength.Count; i++)
        {
            // Characters stand in for tokens here: cut when the next text is more than twice the first of this run.
            if (i == byLength.Count || byLength[i].Length > (2 * byLength[start].Length) + 32)
            {
                var part = byLength.GetRange(start, i - start);
                var (vectors, tokens) = model.Embed(part.Select(p => p.Item.Text).ToList());
                _stats.ModelRun(part.Count, tokens.Sum());
                for (int j = 0; j < part.Count; j++)
                {
                    part[j].Item.Done.TrySetResult((vectors[j], tokens[j]));
                }

                start = i;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedding model {Model} loaded in {Ms:F0} ms ({Threads} inference thread(s), batches up to {MaxBatch})")]
    private static partial void LogLoaded(ILogger logger, string model, double ms, int threads, int maxBatch);

    [LoggerMessage(Level = LogLevel.Error, Message = "Embedding model run of {Count} text(s) failed")]
    private static partial void LogRunFailed(ILogger logger, Exception ex, int count);

    private sealed class Pending(string text, CancellationToken cancellation)
    {
        public string Text { get; } = text;

        public CancellationToken Cancellation { get; } = cancellation;

        public TaskCompletionSource<(float[] Vector, int Tokens)> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
