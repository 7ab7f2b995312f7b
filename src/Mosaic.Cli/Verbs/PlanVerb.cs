using System.CommandLine;
using System.Globalization;
using Mosaic.Core.Collections;

namespace Mosaic.Cli.Verbs;

/// <summary>
/// `mosaic plan --docs N --dim D --qps Q --p99 MS [--replicas R]`: workers, shards, replicas and memory per node from
/// figures measured on this build (bench/README.md), with the formula printed.
/// </summary>
internal static class PlanVerb
{
    /// <summary>In-memory bytes of one float vector in the HNSW graph at M=16: 4·D plus links, header and padding.
    /// bench/README.md "ANN quantization and memory": 1761 B/vector at 384-d and 738 at 128-d → 4·D + 225.</summary>
    private const double GraphOverheadBytes = 225;

    /// <summary>Server CPU per vector search at 128-d (100k docs, top_k 10, embedded): bench/README.md "Embedded vs cluster"
    /// results, "vector (closed c=4) ... server 0.86 CPU-ms/req". Scaled by D/128 (distance work grows with dimension).</summary>
    private const double CpuMsPerSearchAt128 = 0.86;

    /// <summary>Dimension the CPU figure was measured at.</summary>
    private const double MeasuredDimension = 128;

    /// <summary>Measured p99 of that run (ms), with other tenants taking about half the machine.</summary>
    private const double MeasuredP99Ms = 20.91;

    /// <summary>CPU kept free for a node's loss and bursts: the advisor's default target (docs/operations.md).</summary>
    private const double TargetCpu = 0.70;

    /// <summary>Share of a worker's memory the graphs may take (the rest: shard file cache, runtime, GC headroom).</summary>
    private const double GraphMemoryShare = 0.5;

    /// <summary>Most documents per shard before the advisor says to split (Mosaic:Advice:SplitShardDocs).</summary>
    private const long MaxShardDocs = 5_000_000;

    public static Command Create()
    {
        var docs = new Option<long>("--docs") { Description = "documents", Required = true };
        var dim = new Option<int>("--dim") { Description = "vector dimension", Required = true };
        var qps = new Option<double>("--qps") { Description = "vector searches per second at peak", Required = true };
        var p99 = new Option<double>("--p99") { Description = "p99 latency target in ms", Required = true };
        var replicas = new Option<int>("--replicas") { Description = "copies of each shard", DefaultValueFactory = _ => 2 };
        var cores = new Option<int>("--cores") { Description = "cores per worker", DefaultValueFactory = _ => 4 };
        var memory = new Option<double>("--memory-gb") { Description = "memory per worker (GiB)", DefaultValueFactory = _ => 16 };
        var command = new Command("plan", "Size a cluster: workers, shards, replicas and memory per node from this build's measured costs") { docs, dim, qps, p99, replicas, cores, memory };
        command.SetAction(result =>
        {
            long n = result.GetValue(docs);
            int d = result.GetValue(dim);
            double q = result.GetValue(qps), target = result.GetValue(p99), gib = result.GetValue(memory);
            int r = result.GetValue(replicas), c = result.GetValue(cores);
            // "!(x > 0)" refuses NaN too, which compares neither way.
            if (n <= 0 || d is <= 0 or > 4096 || !(q > 0) || !(target > 0) || r is < 1 or > 10 || c < 1 || !(gib > 0)
                || double.IsInfinity(q) || double.IsInfinity(target) || double.IsInfinity(gib))
            {
                Console.Error.WriteLine("mosaic plan: --docs, --qps, --p99, --cores and --memory-gb must be positive finite numbers, --dim within 1..4096, --replicas within 1..10");
                return 2;
            }

            double bytesPerVector = (4.0 * d) + GraphOverheadBytes;
            double cpuMs = CpuMsPerSearchAt128 * Math.Max(1, d / MeasuredDimension);
            double cores_ = q * cpuMs / 1000 / TargetCpu;
            double byCpu = Math.Ceiling(cores_ / c);
            double graphBytes = n * bytesPerVector * r;
            double perWorkerGraph = gib * (1L << 30) * GraphMemoryShare;
            double byMemory = Math.Ceiling(graphBytes / perWorkerGraph);
            double shardsNeeded = Math.Max(Math.Ceiling((double)n / MaxShardDocs), Math.Ceiling(Math.Max(Math.Max(byCpu, byMemory), r) / r));
            // Counted in doubles until here: past a collection's shards the counts would not fit an int (and no plan holds).
            if (shardsNeeded > CollectionSpec.MaxShards)
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"mosaic plan: these figures need {shardsNeeded:0} shards, more than the {CollectionSpec.MaxShards} shards one collection takes; plan several collections, each with its share"));
                return 2;
            }

            int workers = (int)Math.Max(Math.Max(byCpu, byMemory), r);
            int shards = (int)shardsNeeded;
            double perNodeGiB = graphBytes / workers / (1L << 30);
            var inv = CultureInfo.InvariantCulture;
            Console.WriteLine(string.Create(inv, $"measured on this build (bench/README.md): {bytesPerVector:0} B/vector in memory at {d}-d (4·D + {GraphOverheadBytes}), {cpuMs:0.##} CPU-ms per vector search ({CpuMsPerSearchAt128} at {MeasuredDimension}-d × D/{MeasuredDimension})"));
            Console.WriteLine(string.Create(inv, $"cpu:    cores = qps × cpu_ms / 1000 / {TargetCpu} = {q} × {cpuMs:0.##} / 1000 / {TargetCpu} = {cores_:0.#}; workers_cpu = ceil({cores_:0.#} / {c} cores) = {byCpu}"));
            Console.WriteLine(string.Create(inv, $"memory: graphs = docs × B/vector × replicas = {n} × {bytesPerVector:0} × {r} = {graphBytes / (1L << 30):0.#} GiB; workers_mem = ceil(graphs / ({gib} GiB × {GraphMemoryShare})) = {byMemory}"));
            Console.WriteLine(string.Create(inv, $"workers = max(workers_cpu, workers_mem, replicas) = {workers}"));
            Console.WriteLine(string.Create(inv, $"shards = max(ceil(docs / {MaxShardDocs}), ceil(workers / replicas)) = {shards}; replicas = {r}"));
            Console.WriteLine(string.Create(inv, $"memory per worker: {perNodeGiB:0.##} GiB of graphs of {gib} GiB"));
            Console.WriteLine(target < MeasuredP99Ms
                ? string.Create(inv, $"p99 {target} ms: below the {MeasuredP99Ms} ms measured at that CPU cost on a shared 2-core box; plan more cores (lower utilization) and measure with bench/")
                : string.Create(inv, $"p99 {target} ms: at or above the {MeasuredP99Ms} ms measured (bench/README.md), at {TargetCpu:P0} CPU"));
            Console.WriteLine(string.Create(inv, $"plan: {workers} workers × {c} cores, {shards} shards × {r} replicas, {perNodeGiB:0.##} GiB graphs per worker"));
            return 0;
        });
        return command;
    }
}
