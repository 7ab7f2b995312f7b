using System.Diagnostics;
using System.Text.Json;
using Mosaic.Bench.Ann;
using Mosaic.Core.Collections;
using Mosaic.Index;

// Mosaic's side of the ANN comparison; same arguments and JSON fields as ../shared/bench/hnswlib_native.cpp:
//   DATA_DIR ip|l2 M EF_CONSTRUCTION EF_LIST K RUNS OUT_JSON [LABEL [float|int8|binary]]
// Builds single-threaded, warms up, then per ef answers the queries one at a time (best of RUNS loops).
// A quantized index rescores its final candidates on the float vectors of the loaded data set (the server reads
// them from the shard file); memory_bytes_per_vector counts what the index holds (codes, links, label map).
// Extra: a second build with AddParallel on all cores (MOSAIC_BENCH_PARALLEL=0 skips it);
// MOSAIC_BENCH_PARALLEL_PAIRS=N instead times N interleaved pairs of AddParallel on 1 thread and on all cores;
// MOSAIC_BENCH_UPDATE_ROUNDS=R then re-adds every vector R times and reports node count, RSS and recall after.
// MOSAIC_BENCH_BUILD_THREADS=N builds the timed index and the compared variants with AddParallel on N threads (for
// sets of a million vectors, where serial builds take most of an hour); the build time is then not the serial one.
if (args.Length < 8)
{
    Console.Error.WriteLine("usage: bench/ann DATA_DIR ip|l2 M EF_CONSTRUCTION EF_LIST K RUNS OUT_JSON [LABEL [float|int8|binary]]");
    return 2;
}

string dir = args[0];
VectorMetric metric = args[1] switch
{
    "ip" => VectorMetric.Dot,
    "l2" => VectorMetric.L2,
    _ => throw new ArgumentException("metric must be ip or l2"),
};
int m = int.Parse(args[2]);
int efc = int.Parse(args[3]);
int[] efs = args[4].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
int k = int.Parse(args[5]);
int runs = int.Parse(args[6]);
string outPath = args[7];
string label = args.Length > 8 ? args[8] : "mosaic";
VectorQuantization quantization = (args.Length > 9 ? args[9] : "float") switch
{
    "float" => VectorQuantization.Float,
    "int8" => VectorQuantization.Int8,
    "binary" => VectorQuantization.Binary,
    _ => throw new ArgumentException("quantization must be float, int8 or binary"),
};

float[] baseVectors = TexmexFile.Read<float>(Path.Combine(dir, "base.fvecs"), out int n, out int d);
float[] queries = TexmexFile.Read<float>(Path.Combine(dir, "query.fvecs"), out int nq, out int dq);
int[] groundTruth = TexmexFile.Read<int>(Path.Combine(dir, "groundtruth.ivecs"), out int ngt, out int kgt);
if (dq != d || ngt != nq || kgt < k)
{
    throw new InvalidDataException("data set shapes do not match");
}

// MOSAIC_BENCH_SPLIT=0: int8 in one record per node (code, header, links) instead of three dense arrays (A/B).
HnswIndex.SplitLayout = Environment.GetEnvironmentVariable("MOSAIC_BENCH_SPLIT") != "0";
// MOSAIC_BENCH_EARLY=0: builds (and searches, unless compared) without the walk's early link prefetch.
HnswIndex.EarlyLinks = Environment.GetEnvironmentVariable("MOSAIC_BENCH_EARLY") != "0";
var settings = new HnswSettings(m, efc, Quantization: quantization);
// MOSAIC_BENCH_RESCORE=0: quantized searches get no source, so the time without rescoring shows (scores approximate).
IVectorSource? source = Environment.GetEnvironmentVariable("MOSAIC_BENCH_RESCORE") == "0" ? null : new RowSource(baseVectors, d);
var labels = new long[n];
for (int i = 0; i < n; i++)
{
    labels[i] = i;
}

double parallelSeconds = 0, parallelRecall = 0, parallelCpuSeconds = 0;
int threads = Environment.ProcessorCount;
int pairs = int.TryParse(Environment.GetEnvironmentVariable("MOSAIC_BENCH_PARALLEL_PAIRS"), out int p) ? p : 0;
var pairRows = new List<Dictionary<string, object>>();
for (int pair = 0; pair < pairs; pair++)
{
    // Interleaved, so both sides see the same background load on a shared machine; best of each is reported.
    foreach (int t in new[] { 1, threads })
    {
        using var built = new HnswIndex(d, metric, settings, n);
        var c0 = Process.GetCurrentProcess().TotalProcessorTime;
        var w = Stopwatch.StartNew();
        built.AddParallel(labels, baseVectors, t);
        double wall = w.Elapsed.TotalSeconds;
        double cpu = (Process.GetCurrentProcess().TotalProcessorTime - c0).TotalSeconds;
        pairRows.Add(new() { ["pair"] = pair, ["threads"] = t, ["wall_s"] = wall, ["cpu_s"] = cpu });
        Console.WriteLine($"[{label}] pair {pair}: AddParallel on {t} thread(s) {wall:F2}s wall, {cpu:F2}s CPU");
    }
}

if (pairs > 0)
{
    double serialBest = pairRows.Where(r => (int)r["threads"] == 1).Min(r => (double)r["wall_s"]);
    double parallelBest = pairRows.Where(r => (int)r["threads"] == threads).Min(r => (double)r["wall_s"]);
    Console.WriteLine($"[{label}] best of {pairs} interleaved pairs: 1 thread {serialBest:F2}s, {threads} threads {parallelBest:F2}s = {serialBest / parallelBest:F2}x");
}
else if (Environment.GetEnvironmentVariable("MOSAIC_BENCH_PARALLEL") != "0")
{
    using var parallel = new HnswIndex(d, metric, settings, n);
    var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
    var swp = Stopwatch.StartNew();
    parallel.AddParallel(labels, baseVectors, threads);
    parallelSeconds = swp.Elapsed.TotalSeconds;
    parallelCpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
    parallelRecall = Measure(parallel, 64, 1).Recall;
    Console.WriteLine($"[{label}] parallel build {parallelSeconds:F1}s on {threads} threads ({parallelCpuSeconds / parallelSeconds:F2} cores busy on average), recall@{k} at ef=64: {parallelRecall:F4}");
}

int buildThreads = int.TryParse(Environment.GetEnvironmentVariable("MOSAIC_BENCH_BUILD_THREADS"), out int bt) ? bt : 1;

// MOSAIC_BENCH_GRAPH_CACHE=DIR: the compared variants are loaded from DIR when a graph of the same data set, metric,
// M, efConstruction and kind was saved there before, and saved after their build otherwise (a 1M build takes minutes;
// search-time experiments need the graph, not its build).
string? graphCache = Environment.GetEnvironmentVariable("MOSAIC_BENCH_GRAPH_CACHE");
HnswIndex BuildOrLoad(string kind, HnswSettings variantSettings)
{
    string? file = string.IsNullOrEmpty(graphCache) ? null : Path.Combine(graphCache, $"{Path.GetFileName(Path.TrimEndingDirectorySeparator(dir))}-{args[1]}-M{m}-efc{efc}-{kind}.hnsw");
    if (file is not null && File.Exists(file))
    {
        using var input = File.OpenRead(file);
        Console.WriteLine($"[{kind}] loaded {file}");
        return HnswIndex.Load(input);
    }

    var built = new HnswIndex(d, metric, variantSettings, n);
    Build(built);
    if (file is not null)
    {
        Directory.CreateDirectory(graphCache!);
        using var output = File.Create(file + ".tmp");
        built.Save(output);
        output.Close();
        File.Move(file + ".tmp", file, overwrite: true);
    }

    return built;
}

void Build(HnswIndex target)
{
    if (buildThreads > 1)
    {
        target.AddParallel(labels, baseVectors, buildThreads);
        return;
    }

    for (int i = 0; i < n; i++)
    {
        target.Add(i, baseVectors.AsSpan(i * d, d));
    }
}

// The timed index is one of the compared variants when it has the same kind (and layout), rather than a second build.
string mainKind = quantization == VectorQuantization.Int8 && !HnswIndex.SplitLayout ? "int8-record" : quantization.ToString().ToLowerInvariant();
var buildCpu0 = Process.GetCurrentProcess().TotalProcessorTime;
var sw = Stopwatch.StartNew();
var index = BuildOrLoad(mainKind, settings);

double build = sw.Elapsed.TotalSeconds;
double buildCpu = (Process.GetCurrentProcess().TotalProcessorTime - buildCpu0).TotalSeconds;
double bytesPerVector = (double)index.MemoryBytes / n;
Console.WriteLine($"[{label}] {quantization} N={n} D={d} build {build:F1}s ({n / build:F0} vec/s), {bytesPerVector:F0} B/vector, huge pages {AnonHugePagesKb() / 1024} MiB");
if (parallelSeconds > 0)
{
    Console.WriteLine($"[{label}] parallel build speed-up {build / parallelSeconds:F2}x on {threads} threads");
}

// Warm-up: at least 3 passes and 2 seconds, so that tiered compilation has settled (on a 20k set three passes
// take 50 ms, less than the JIT's 100 ms call-counting delay, and the first ef was measured on tier-0 code).
var warm = Stopwatch.StartNew();
for (int w = 0; w < 3 || warm.Elapsed.TotalSeconds < 2; w++)
{
    Measure(index, 64, 1);
}

// MOSAIC_BENCH_COMPARE=float,int8[,int8-record]: also builds these variants (int8-record: one record per node, the
// layout before the split) and measures every index in turn, one loop each, RUNS times per ef (the best CPU-us, QPS
// and p50 of each printed; bench/ann-ratios.py reads them), so that all see the same background load on a shared
// machine; printed only, the JSON is the main index's.
string? compare = Environment.GetEnvironmentVariable("MOSAIC_BENCH_COMPARE");
if (!string.IsNullOrEmpty(compare))
{
    var variants = new List<(string Name, HnswIndex Index)>();
    var builtByKind = new Dictionary<string, HnswIndex>();
    foreach (string name in compare.Split(','))
    {
        // NAME/switch/...: the same index searched with a search-time switch off (novinsert: the pool's binary search; norescore: no rescoring source).
        string v = name.Split('/')[0];
        if (builtByKind.TryGetValue(v, out var same) || (v == mainKind && (same = index) is not null))
        {
            variants.Add((name, same));
            continue;
        }

        HnswIndex.SplitLayout = v != "int8-record";
        var q = v.StartsWith("int8", StringComparison.Ordinal) ? VectorQuantization.Int8 : v == "binary" ? VectorQuantization.Binary : VectorQuantization.Float;
        var built = BuildOrLoad(v, new HnswSettings(m, efc, Quantization: q));

        Console.WriteLine($"[{v}] {(double)built.MemoryBytes / n:F1} B/vector");
        for (int w = 0; w < 3; w++)
        {
            Measure(built, 64, 1);
        }

        variants.Add((name, built));
        builtByKind[v] = built;
    }

    foreach (int ef in efs)
    {
        var best = new Result[variants.Count];
        var peekRate = new double[variants.Count];
        var p50Best = new double[variants.Count];
        var qpsBest = new double[variants.Count];
        for (int run = 0; run < runs; run++)
        {
            for (int i = 0; i < variants.Count; i++)
            {
                string[] off = variants[i].Name.Split('/');
                HnswIndex.VectorInsert = !off.Contains("novinsert");
                HnswIndex.EarlyLinks = !off.Contains("noearly");
                if (source is RowSource rowSource)
                {
                    // alignedrows: the rows lent from a line-aligned copy on 2 MiB pages instead of the managed array.
                    rowSource.Aligned = off.Contains("alignedrows");
                }

                // Reload this index's lines into the caches first (the one measured before evicted them), so the
                // order of the variants does not favour those that follow a variant of the same index.
                var warmHits = new VectorHit[k];
                for (int w = 0; w < Math.Min(nq, 300); w++)
                {
                    variants[i].Index.Search(queries.AsSpan(w * d, d), k, ef, warmHits, null, source);
                }

                long peeks = (source as RowSource)?.Peeks ?? 0;
                var r = Measure(variants[i].Index, ef, 1, rescore: !off.Contains("norescore"));
                p50Best[i] = run == 0 ? r.P50 : Math.Min(p50Best[i], r.P50);
                qpsBest[i] = Math.Max(qpsBest[i], r.Qps);
                peekRate[i] = (double)(((source as RowSource)?.Peeks ?? 0) - peeks) / nq;
                if (run == 0 || r.CpuUs < best[i].CpuUs)
                {
                    best[i] = r;
                }
            }
        }

        for (int i = 0; i < variants.Count; i++)
        {
            Console.WriteLine($"[{variants[i].Name}] ef={ef,4} recall@{k}={best[i].Recall:F4} {best[i].CpuUs:F2} CPU-us/query, {qpsBest[i]:F0} qps, p50 {p50Best[i]:F1} us, {peekRate[i]:F1} row peeks/query");
        }
    }

    // The timed index below runs with every switch back on.
    HnswIndex.VectorInsert = true;
    HnswIndex.EarlyLinks = Environment.GetEnvironmentVariable("MOSAIC_BENCH_EARLY") != "0";
    if (source is RowSource lent)
    {
        lent.Aligned = false;
    }

    foreach (var built in builtByKind.Values)
    {
        built.Dispose();
    }
}

var rows = new List<Dictionary<string, object>>();
foreach (int ef in efs)
{
    var r = Measure(index, ef, runs);
    Console.WriteLine($"[{label}] ef={ef,4} recall@{k}={r.Recall:F4} single {r.Qps,8:F0} qps (p50 {r.P50:F0}us p99 {r.P99:F0}us), {r.CpuUs:F1} CPU-us/query");
    rows.Add(new() { ["ef"] = ef, ["recall"] = r.Recall, ["qps_single"] = r.Qps, ["lat_p50_us"] = r.P50, ["lat_p99_us"] = r.P99, ["cpu_us_per_query"] = r.CpuUs });
}

int rounds = int.TryParse(Environment.GetEnvironmentVariable("MOSAIC_BENCH_UPDATE_ROUNDS"), out int ur) ? ur : 0;
var updateRows = new List<Dictionary<string, object>>();
if (rounds > 0)
{
    long rssLoaded = RssBytes();
    updateRows.Add(new() { ["round"] = 0, ["rss_bytes"] = rssLoaded, ["nodes"] = index.NodeCount, ["recall_ef64"] = Measure(index, 64, 1).Recall });
    for (int round = 1; round <= rounds; round++)
    {
        // Every document updated once per round (same vector: the record is tombstoned, reused and relinked).
        for (int i = 0; i < n; i++)
        {
            index.Add(i, baseVectors.AsSpan(i * d, d));
        }

        long rss = RssBytes();
        double recall = round == rounds || round == 1 ? Measure(index, 64, 1).Recall : double.NaN;
        updateRows.Add(new() { ["round"] = round, ["rss_bytes"] = rss, ["nodes"] = index.NodeCount, ["recall_ef64"] = double.IsNaN(recall) ? -1 : recall });
        Console.WriteLine($"[{label}] update round {round}: {index.NodeCount} nodes, RSS {rss / 1048576.0:F0} MiB ({(double)rss / rssLoaded:F3}x of loaded){(double.IsNaN(recall) ? "" : $", recall@{k} at ef=64 {recall:F4}")}");
    }
}

var doc = new Dictionary<string, object>
{
    ["library"] = label,
    ["data_dir"] = dir,
    ["metric"] = args[1],
    ["n"] = n,
    ["d"] = d,
    ["q"] = nq,
    ["k"] = k,
    ["M"] = m,
    ["ef_construction"] = efc,
    ["threads"] = 1,
    ["simd"] = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "avx512" : System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? "avx2" : "sse",
    ["build_s"] = build,
    ["build_vec_per_s"] = n / build,
    ["build_cpu_s"] = buildCpu,
    ["memory_bytes_per_vector"] = bytesPerVector,
    ["anon_huge_pages_mib"] = AnonHugePagesKb() / 1024,
    ["build_parallel_s"] = parallelSeconds,
    ["build_parallel_threads"] = threads,
    ["build_parallel_cpu_s"] = parallelCpuSeconds,
    ["build_parallel_cores_busy"] = parallelSeconds > 0 ? parallelCpuSeconds / parallelSeconds : 0,
    ["build_parallel_speedup"] = parallelSeconds > 0 ? build / parallelSeconds : 0,
    ["build_parallel_recall_ef64"] = parallelRecall,
    ["quantization"] = quantization.ToString().ToLowerInvariant(),
    ["parallel_pairs"] = pairRows,
    ["update_rounds"] = updateRows,
    ["dotnet"] = Environment.Version.ToString(),
    ["results"] = rows,
};
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
File.WriteAllText(outPath, JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
index.Dispose();
return 0;

Result Measure(HnswIndex idx, int ef, int loops, bool rescore = true)
{
    var rows = rescore ? source : null;
    var hits = new VectorHit[k];
    var lat = new double[nq];
    var best = new double[nq];
    double bestTotal = double.MaxValue;
    double bestCpu = double.MaxValue;
    long bestFound = 0;
    for (int run = 0; run < loops; run++)
    {
        long found = 0;
        double cpuStart = ThreadCpu.Seconds();
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < nq; i++)
        {
            long t = Stopwatch.GetTimestamp();
            int c = idx.Search(queries.AsSpan(i * d, d), k, ef, hits, null, rows);
            lat[i] = Stopwatch.GetElapsedTime(t).TotalMicroseconds;
            var truth = groundTruth.AsSpan(i * kgt, k);
            for (int j = 0; j < c; j++)
            {
                if (truth.Contains((int)hits[j].Label))
                {
                    found++;
                }
            }
        }

        double total = Stopwatch.GetElapsedTime(start).TotalSeconds;
        bestCpu = Math.Min(bestCpu, ThreadCpu.Seconds() - cpuStart);
        if (total < bestTotal)
        {
            bestTotal = total;
            bestFound = found;
            Array.Copy(lat, best, nq);
        }
    }

    Array.Sort(best);
    return new Result((double)bestFound / ((double)k * nq), nq / bestTotal, best[nq / 2], best[Math.Min(nq - 1, (int)(nq * 0.99))], bestCpu * 1e6 / nq);
}

static long RssBytes()
{
    GC.Collect();
    return Process.GetCurrentProcess().WorkingSet64;
}

static long AnonHugePagesKb()
{
    try
    {
        foreach (string line in File.ReadLines("/proc/self/smaps_rollup"))
        {
            if (line.StartsWith("AnonHugePages:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
            }
        }
    }
    catch (IOException)
    {
    }

    return 0;
}

internal readonly record struct Result(double Recall, double Qps, double P50, double P99, double CpuUs);

/// <summary>
/// CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID): on a shared machine the time a query loop ran on a core
/// moves far less than its wall time, which counts every preemption.
/// </summary>
internal static partial class ThreadCpu
{
    public static double Seconds() => clock_gettime(3, out var ts) == 0 ? ts.Seconds + (ts.Nanoseconds * 1e-9) : double.NaN;

    [System.Runtime.InteropServices.LibraryImport("libc")]
    private static partial int clock_gettime(int clock, out Timespec ts);

    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}

/// <summary>The loaded base vectors as the quantized index's rescoring source (row i is label i).</summary>
/// <remarks>
/// Lent from the loaded managed array (4 KiB pages, a 512-byte row not always on a line boundary), which is closer to
/// what the server reads (shard-file pages mapped on 4 KiB pages) than a copy laid out for the purpose.
/// <see cref="Aligned"/> lends a copy made on first use, line-aligned on 2 MiB pages as a graph's own segments are
/// instead: at 1M x 128 that saved ~1.4 of the ~4.3 us that rescoring 20 rows took per query (bench/README.md, "int8
/// at 1M, rescoring, seventh sitting"), a figure for an in-memory float column, which Mosaic does not keep.
/// </remarks>
internal sealed unsafe class RowSource(float[] rows, int dimension) : IVectorSource
{
    private float* _copy;

    /// <summary>Rows lent (rescored rows plus the prefetches that ask for their address).</summary>
    public long Peeks { get; set; }

    /// <summary>Lend the rows from a line-aligned copy on 2 MiB pages instead of the managed array (the A/B switch `alignedrows`).</summary>
    public bool Aligned { get; set; }

    public bool TryRead(long label, Span<float> destination)
    {
        Row(label).CopyTo(destination);
        return true;
    }

    public bool TryPeek(long label, out ReadOnlySpan<float> vector)
    {
        Peeks++;
        vector = Row(label);
        return true;
    }

    private ReadOnlySpan<float> Row(long label)
    {
        if (!Aligned)
        {
            return rows.AsSpan((int)label * dimension, dimension);
        }

        if (_copy is null)
        {
            _copy = (float*)Mosaic.Index.Storage.HugePages.Allocate((nuint)rows.LongLength * sizeof(float), out _);
            rows.AsSpan().CopyTo(new Span<float>(_copy, rows.Length));
        }

        return new ReadOnlySpan<float>(_copy + (label * dimension), dimension);
    }
}
