using Mosaic.Embedding.Onnx;

namespace Mosaic.Embedding;

/// <summary>Settings of text embedding, section "Mosaic:Embedder".</summary>
/// <remarks>
/// Without <see cref="Url"/>, a coordinator spreads embed calls over the <c>mosaic embedder</c> nodes registered in the
/// cluster store and embeds in-process when there are none (always, embedded). The model itself runs on
/// <see cref="Threads"/> threads at most, whatever the load: search latency stays predictable on a small machine.
/// </remarks>
public sealed record EmbeddingOptions
{
    /// <summary>An OpenAI-compatible base URL (e.g. <c>http://host:8080/v1</c>) that embeds instead of Mosaic's own model.</summary>
    public string? Url { get; init; }

    /// <summary>The model name sent to <see cref="Url"/> for <c>minilm</c>, when that endpoint calls it otherwise.</summary>
    public string? RemoteModel { get; init; }

    /// <summary>Deadline of one call to an embedder node or <see cref="Url"/>; a failed or late call is retried on another node.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Concurrent model runs in this process (each single-threaded).</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Most texts in one model run; concurrent requests are joined up to this.</summary>
    /// <remarks>32: throughput per text stops improving past ~32 on one core (bench/README.md, Embeddings).</remarks>
    public int MaxBatchSize { get; init; } = 32;

    /// <summary>Most tokens in one model run (a run always takes one text, however long).</summary>
    /// <remarks>
    /// A request that arrives while a run is busy waits for it, so this bounds that wait: 2,048 is eight texts at the
    /// model's 256-token window, under a second on one shared core, while texts that long gain little from batching (a 512-token
    /// text took 0.41 s alone, 0.33-0.60 s in batches of 32 and 128; bench/README.md, Embeddings, "Fairness, eighth sitting").
    /// Short texts still fill <see cref="MaxBatchSize"/>.
    /// </remarks>
    public int MaxBatchTokens { get; init; } = 2048;

    /// <summary>How long a model run may wait for more texts to join it once it has one.</summary>
    public TimeSpan MaxBatchWait { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Most characters of input in one POST /v1/embeddings request, all its texts together (UTF-16 code units, as .NET counts).</summary>
    /// <remarks>
    /// Characters, not tokens: they are counted before any model is involved, wherever the embedding then runs. One
    /// million is about 250k word pieces of English, under OpenAI's 300k-token limit per request; a request over it is
    /// answered 413 before anything is embedded. With at most 2,048 inputs per request (OpenAI's limit too). At least
/// <see cref="MiniLmModel.MaxChars"/>, so that a coordinator's calls to embedder nodes (cut to fit this) always can.
    /// </remarks>
    public int MaxRequestCharacters { get; init; } = 1_000_000;

    /// <summary>Embeddings kept in this process (L1), about 1.6 KB each for minilm.</summary>
    public int CacheEntries { get; init; } = 20_000;

    /// <summary>How long an embedding lives in Redis (L2, when <c>Mosaic:Redis</c> is set).</summary>
    public TimeSpan CacheExpiration { get; init; } = TimeSpan.FromDays(1);

    /// <summary>How long an embedder node that failed is passed over, unless no other is left.</summary>
    public TimeSpan FailedNodeCooldown { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Most texts sent to an embedder node in one call; larger lists are split and spread.</summary>
    public int RemoteChunk { get; init; } = 64;

    /// <summary>Most texts in one call to <see cref="Url"/>; a longer list (a bulk write) goes in several calls, one after another.</summary>
    /// <remarks>2,048: OpenAI's limit of inputs per request. Calls are also kept within <see cref="MaxRequestCharacters"/>.</remarks>
    public int UrlMaxInputs { get; init; } = 2048;

    public IEnumerable<string> Validate()
    {
        if (Url is not null && !Uri.TryCreate(Url, UriKind.Absolute, out _))
        {
            yield return $"Mosaic:Embedder:Url must be an absolute URL, got '{Url}'";
        }

        if (Timeout <= TimeSpan.Zero)
        {
            yield return "Mosaic:Embedder:Timeout must be positive";
        }

        if (Threads is < 1 or > 64)
        {
            yield return $"Mosaic:Embedder:Threads must be within 1..64, got {Threads}";
        }

        if (MaxBatchSize is < 1 or > 1024)
        {
            yield return $"Mosaic:Embedder:MaxBatchSize must be within 1..1024, got {MaxBatchSize}";
        }

        if (MaxBatchTokens is < 1 or > 1_000_000)
        {
            yield return $"Mosaic:Embedder:MaxBatchTokens must be within 1..1000000, got {MaxBatchTokens}";
        }

        if (MaxRequestCharacters < MiniLmModel.MaxChars)
        {
            yield return $"Mosaic:Embedder:MaxRequestCharacters must be at least {MiniLmModel.MaxChars} (the most of one text the model reads), got {MaxRequestCharacters}";
        }

        if (MaxBatchWait < TimeSpan.Zero || MaxBatchWait > TimeSpan.FromSeconds(1))
        {
            yield return "Mosaic:Embedder:MaxBatchWait must be within 0..1 s";
        }

        if (CacheEntries < 0)
        {
            yield return "Mosaic:Embedder:CacheEntries must not be negative";
        }

        if (CacheExpiration <= TimeSpan.Zero)
        {
            yield return "Mosaic:Embedder:CacheExpiration must be positive";
        }

        if (RemoteChunk is < 1 or > 2048)
        {
            yield return $"Mosaic:Embedder:RemoteChunk must be within 1..2048, got {RemoteChunk}";
        }

        if (UrlMaxInputs is < 1 or > 100_000)
        {
            yield return $"Mosaic:Embedder:UrlMaxInputs must be within 1..100000, got {UrlMaxInputs}";
        }
    }
}
