using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using System.Text.Json;
using Mosaic.Bench.Ann;
using Mosaic.Embedding.Onnx;

/// <summary>
/// A real-text ANN set (bench/README.md, "Binary at 384-d on real embeddings"): the distinct texts of a docs.jsonl
/// (bench/bm25-corpus.py's), embedded by Mosaic's own all-MiniLM-L6-v2, written in the layout bench/ann and
/// ../shared/bench/ann_peers.py --dataset-dir read.
/// </summary>
/// <remarks>
/// The first DOCS + QUERIES distinct texts are taken in file order; QUERIES of them, evenly spaced, are held out as
/// queries and the rest are the base, so queries are documents of the same corpus the base does not contain.
/// Ground truth: exact top-100 of every query by inner product over the base (the vectors are unit length, as the
/// model pools them), ties by lower row. Deterministic for a corpus file.
/// </remarks>
internal static class TexmexSet
{
    private const int GroundTruthK = 100;

    // Batches of texts of about the same token count pad little; 16 texts of ~100 tokens keep a run's activations in
    // the caches (bench/README.md "Embeddings": batch 8-32 is where the CPU per text bottoms out on this box).
    private const int Batch = 16;

    public static void Run(string docsJsonl, string outDir, int docs, int queries, int threads)
    {
        var texts = DistinctTexts(docsJsonl, docs + queries);
        if (texts.Count < docs + queries)
        {
            throw new InvalidDataException($"{docsJsonl} has {texts.Count} distinct texts, {docs + queries} asked: give bm25-corpus.py more documents");
        }

        var isQuery = new bool[texts.Count];
        for (int i = 0; i < queries; i++)
        {
            isQuery[(int)((long)i * texts.Count / queries)] = true;
        }

        using var model = MiniLmModel.Load();
        var clock = Stopwatch.StartNew();
        var vectors = Embed(model, texts, threads, out long tokens);
        double embedSeconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"embedded {texts.Count} texts ({tokens} tokens) in {embedSeconds:F0} s on {threads} thread(s): {texts.Count / embedSeconds:F1} texts/s"));

        var baseRows = Enumerable.Range(0, texts.Count).Where(i => !isQuery[i]).Select(i => vectors[i]).ToArray();
        var queryRows = Enumerable.Range(0, texts.Count).Where(i => isQuery[i]).Select(i => vectors[i]).ToArray();
        clock.Restart();
        var (ids, scores) = GroundTruth(baseRows, queryRows, threads);
        double truthSeconds = clock.Elapsed.TotalSeconds;

        Directory.CreateDirectory(outDir);
        TexmexFile.Write(Path.Combine(outDir, "base.fvecs"), baseRows);
        TexmexFile.Write(Path.Combine(outDir, "query.fvecs"), queryRows);
        TexmexFile.Write(Path.Combine(outDir, "groundtruth.ivecs"), ids);
        TexmexFile.Write(Path.Combine(outDir, "groundtruth_ip.fvecs"), scores);
        var meta = new Dictionary<string, object>
        {
            ["name"] = Path.GetFileName(Path.TrimEndingDirectorySeparator(outDir)),
            ["generator"] = "all-MiniLM-L6-v2 (Mosaic.Embedding MiniLmModel) over bench/bm25-corpus.py's distinct texts",
            ["corpus"] = Path.GetFileName(docsJsonl),
            ["n"] = baseRows.Length,
            ["d"] = baseRows[0].Length,
            ["q"] = queryRows.Length,
            ["gt_k"] = GroundTruthK,
            ["metric"] = "inner_product (unit vectors: cosine)",
            ["format"] = "TEXMEX fvecs/ivecs: little-endian int32 dim, then dim float32 (fvecs) or int32 (ivecs) per row",
            ["stats"] = new Dictionary<string, double>
            {
                ["embed_s"] = Math.Round(embedSeconds, 1),
                ["embed_threads"] = threads,
                ["tokens_mean"] = (double)tokens / texts.Count,
                ["groundtruth_s"] = Math.Round(truthSeconds, 1),
                ["ip_top1_mean"] = scores.Average(s => s[0]),
                ["ip_top10_mean"] = scores.Average(s => s[9]),
                ["ip_top100_mean"] = scores.Average(s => s[GroundTruthK - 1]),
                ["ip_random_pair_mean"] = RandomPairMean(baseRows),
            },
        };
        File.WriteAllText(Path.Combine(outDir, "meta.json"), JsonSerializer.Serialize(meta, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"wrote {baseRows.Length} base and {queryRows.Length} query vectors of {baseRows[0].Length} dimensions, top-{GroundTruthK} ground truth, to {outDir}");
    }

    /// <summary>The first <paramref name="count"/> texts of the file that no earlier line repeats (man pages share many paragraphs).</summary>
    private static List<string> DistinctTexts(string docsJsonl, int count)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var texts = new List<string>(count);
        foreach (string line in File.ReadLines(docsJsonl))
        {
            string text = JsonDocument.Parse(line).RootElement.GetProperty("text").GetString() ?? "";
            if (seen.Add(text))
            {
                texts.Add(text);
                if (texts.Count == count)
                {
                    break;
                }
            }
        }

        return texts;
    }

    /// <summary>Embeds every text on <paramref name="threads"/> concurrent model runs, batches of texts sorted by token count.</summary>
    private static float[][] Embed(MiniLmModel model, List<string> texts, int threads, out long tokens)
    {
        var ids = new IReadOnlyList<int>[texts.Count];
        Parallel.For(0, texts.Count, new ParallelOptions { MaxDegreeOfParallelism = threads }, i => ids[i] = model.Tokenize(texts[i]));
        tokens = ids.Sum(t => (long)t.Count);
        int[] order = Enumerable.Range(0, texts.Count).OrderBy(i => ids[i].Count).ToArray();
        var vectors = new float[texts.Count][];
        int batches = (order.Length + Batch - 1) / Batch;
        int done = 0;
        var clock = Stopwatch.StartNew();
        long lastReport = 0;
        Parallel.For(0, batches, new ParallelOptions { MaxDegreeOfParallelism = threads }, b =>
        {
            var rows = order.AsSpan(b * Batch, Math.Min(Batch, order.Length - (b * Batch))).ToArray();
            var (embedded, _) = model.Embed(rows.Select(i => ids[i]).ToList());
            for (int j = 0; j < rows.Length; j++)
            {
                vectors[rows[j]] = embedded[j];
            }

            int total = Interlocked.Add(ref done, rows.Length);
            long seconds = (long)clock.Elapsed.TotalSeconds;
            long last = Interlocked.Read(ref lastReport);
            if (seconds >= last + 30 && Interlocked.CompareExchange(ref lastReport, seconds, last) == last)
            {
                // Shortest texts go first, so the rate falls as the run goes on.
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {total}/{texts.Count} texts after {seconds} s ({ids[rows[^1]].Count} tokens a text now)"));
            }
        });
        return vectors;
    }

    /// <summary>Exact top-<see cref="GroundTruthK"/> base rows of every query by inner product (ties: the lower row first).</summary>
    private static (int[][] Ids, float[][] Scores) GroundTruth(float[][] baseRows, float[][] queryRows, int threads)
    {
        var ids = new int[queryRows.Length][];
        var scores = new float[queryRows.Length][];
        Parallel.For(0, queryRows.Length, new ParallelOptions { MaxDegreeOfParallelism = threads }, q =>
        {
            var all = new float[baseRows.Length];
            for (int i = 0; i < baseRows.Length; i++)
            {
                all[i] = TensorPrimitives.Dot(queryRows[q], baseRows[i]);
            }

            int[] top = Enumerable.Range(0, baseRows.Length).OrderByDescending(i => all[i]).ThenBy(i => i).Take(GroundTruthK).ToArray();
            ids[q] = top;
            scores[q] = top.Select(i => all[i]).ToArray();
        });
        return (ids, scores);
    }

    private static double RandomPairMean(float[][] rows)
    {
        var random = new Random(3);
        double sum = 0;
        const int pairs = 20_000;
        for (int p = 0; p < pairs; p++)
        {
            sum += TensorPrimitives.Dot(rows[random.Next(rows.Length)], rows[random.Next(rows.Length)]);
        }

        return sum / pairs;
    }
}
