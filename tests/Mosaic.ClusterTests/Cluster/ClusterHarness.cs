using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Mosaic.Testing;
using Xunit.Abstractions;

namespace Mosaic.ClusterTests.Cluster;

/// <summary>
/// A real cluster on 127.0.0.1: a fresh database on the shared PostgreSQL, N <c>mosaic worker</c> and M
/// <c>mosaic coordinator</c> child processes on free ports, each with its own log file; killed in <see cref="DisposeAsync"/>.
/// </summary>
/// <remarks>
/// Run a scenario through <see cref="RunAsync"/>: it picks and prints the random seed, starts the cluster, and on any
/// failure appends the cluster's view (GET /cluster) and the tail of every node's log to the failure message.
/// </remarks>
public sealed class ClusterHarness : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _dir;
    private readonly string _store;
    private readonly ClusterSpec _spec;
    private readonly ITestOutputHelper _output;
    private readonly List<ClusterNode> _workers = [];
    private readonly List<ClusterNode> _coordinators = [];
    private readonly List<ClusterNode> _others = [];
    private readonly Dictionary<ClusterNode, MosaicHttp> _http = [];

    private ClusterHarness(TempDirectory dir, string store, ClusterSpec spec, ITestOutputHelper output)
    {
        _dir = dir;
        _store = store;
        _spec = spec;
        _output = output;
    }

    public IReadOnlyList<ClusterNode> Workers => _workers;

    public IReadOnlyList<ClusterNode> Coordinators => _coordinators;

    /// <summary>Processes a scenario started beside the cluster (gateways, ...): their logs join the diagnostics, and they die with it.</summary>
    public IReadOnlyList<ClusterNode> Others => _others;

    /// <summary>The PostgreSQL connection string of this cluster's store.</summary>
    public string Store => _store;

    /// <summary>With <see cref="ClusterSpec.ApiKeys"/>: the store's first admin key, which <see cref="Http(int)"/> sends; else null.</summary>
    public string? AdminKey { get; private set; }

    /// <summary>Starts a cluster as <paramref name="spec"/> says, runs <paramref name="body"/> with it and the seed, and always tears it down.</summary>
    /// <param name="prepare">Runs on the fresh database's connection string (and the seed) before any node starts, e.g. to fill the store.</param>
    public static async Task RunAsync(ClusterPostgres postgres, ITestOutputHelper output, ClusterSpec spec, Func<ClusterHarness, int, Task> body, Func<string, int, Task>? prepare = null) =>
        await RunAsync(await postgres.NewDatabaseAsync(), output, spec, body, prepare);

    /// <summary>As above, on a store the scenario set up itself (<paramref name="store"/>: its connection string, e.g. several hosts).</summary>
    public static async Task RunAsync(string store, ITestOutputHelper output, ClusterSpec spec, Func<ClusterHarness, int, Task> body, Func<string, int, Task>? prepare = null)
    {
        int seed = Seeds.Pick();
        output.WriteLine($"random seed {seed} (rerun with MOSAIC_TEST_SEED={seed})");
        var dir = new TempDirectory("mosaic-cluster");
        var harness = new ClusterHarness(dir, store, spec, output);
        try
        {
            if (prepare is not null)
            {
                await prepare(store, seed);
            }

            await harness.StartAsync();
            await body(harness, seed);
        }
        catch (Exception ex)
        {
            string diagnostics = await harness.DiagnosticsAsync();
            output.WriteLine(diagnostics);
            throw new SeededTestFailure(seed, new ClusterScenarioException($"{ex.Message}\n{diagnostics}", ex));
        }
        finally
        {
            await harness.DisposeAsync();
            // MOSAIC_TEST_KEEP_LOGS=1 keeps every node's data and whole log for a look after the run.
            if (Environment.GetEnvironmentVariable("MOSAIC_TEST_KEEP_LOGS") == "1")
            {
                output.WriteLine($"kept {dir.Path}");
            }
            else
            {
                dir.Dispose();
            }
        }
    }

    /// <summary>The HTTP client of a coordinator (one per coordinator, reused).</summary>
    public MosaicHttp Http(int coordinator = 0) => Http(_coordinators[coordinator]);

    public MosaicHttp Http(ClusterNode coordinator)
    {
        lock (_http)
        {
            if (!_http.TryGetValue(coordinator, out var http))
            {
                http = new MosaicHttp(coordinator.Url, TimeSpan.FromSeconds(30), AdminKey);
                _http[coordinator] = http;
            }

            return http;
        }
    }

    /// <summary>
    /// Starts another <c>mosaic</c> process (e.g. <c>gateway</c>) on <paramref name="port"/> beside the cluster, logging to
    /// <c>{role}-{n}.log</c> in the cluster's directory; it is stopped with the cluster.
    /// </summary>
    public Task<ClusterNode> StartOtherAsync(string role, int port, params string[] args)
    {
        var node = new ClusterNode(role, _others.Count(o => o.Role == role) + 1, port, null, _dir.Path, args);
        _others.Add(node);
        return StartAddedAsync(node);
    }

    /// <summary>Writes a line to the test output, prefixed with the time of day (to line up with the nodes' logs).</summary>
    public void Log(string line) => _output.WriteLine($"[{DateTime.Now:HH:mm:ss.fff}] {line}");

    /// <summary>Adds (and starts) one more worker; <paramref name="lease"/> overrides the cluster's node lease for it.</summary>
    public Task<ClusterNode> AddWorkerAsync(TimeSpan? lease = null, params string[] extraArgs) => StartAddedAsync(NewWorker(lease, extraArgs));

    /// <summary>Adds (and starts) one more worker on <paramref name="port"/> (from <see cref="FreePort"/>): its node id is
    /// 127.0.0.1:port, so a scenario can order workers that placement would otherwise tell apart only by name.</summary>
    public Task<ClusterNode> AddWorkerAtAsync(int port, params string[] extraArgs) => StartAddedAsync(NewWorker(null, extraArgs, port));

    private async Task<ClusterNode> StartAddedAsync(ClusterNode node)
    {
        await node.StartAsync(StartTimeout);
        Log($"started {node}, log {node.LogPath}");
        return node;
    }

    /// <summary>GET /cluster from a running coordinator.</summary>
    public async Task<ClusterView> ViewAsync(int coordinator = 0)
    {
        var r = await Http(coordinator).GetAsync("cluster");
        r.AssertStatus(HttpStatusCode.OK);
        return ClusterView.Parse(r.Object);
    }

    /// <summary>
    /// Waits until every shard of <paramref name="collection"/> has <paramref name="replicas"/> serving replicas (with lag 0
    /// when <paramref name="lagZero"/>) on distinct live workers (among <paramref name="allowedWorkers"/> when given) and
    /// GET /ready answers 200.
    /// </summary>
    /// <remarks>Lag in /cluster is what workers last reported; tests that need replicas caught up check them directly
    /// (<see cref="ReplicaProbe"/>) or through doc_count and read-your-writes searches.</remarks>
    public async Task<ClusterView> WaitSettledAsync(string collection, int replicas, TimeSpan timeout, IReadOnlySet<string>? allowedWorkers = null, int coordinator = 0, bool lagZero = false)
    {
        ClusterView? last = null;
        try
        {
            await Wait.WaitUntilAsync(
                async () =>
                {
                    last = await ViewAsync(coordinator);
                    return last.IsSettled(collection, replicas, allowedWorkers, lagZero)
                        && (await Http(coordinator).GetAsync("ready")).StatusCode == 200;
                },
                timeout,
                $"every shard of '{collection}' on {replicas} serving replica(s){(lagZero ? " with lag 0" : "")}{(allowedWorkers is null ? "" : " on " + string.Join(", ", allowedWorkers))}",
                TimeSpan.FromMilliseconds(200));
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}; last /cluster:\n{last?.Describe(collection)}", ex);
        }

        return last!;
    }

    /// <summary>
    /// Waits until every replica /cluster lists for <paramref name="collection"/>, asked directly, serves with lag 0, the
    /// replicas of each shard hold the same number of documents, and the shards hold <paramref name="documents"/> in all.
    /// </summary>
    public async Task WaitReplicasCaughtUpAsync(string collection, long collectionId, long documents, TimeSpan timeout)
    {
        string last = "";
        try
        {
            await Wait.WaitUntilAsync(
                async () =>
                {
                    var view = await ViewAsync();
                    var lines = new List<string>();
                    long total = 0;
                    bool ok = true;
                    foreach (var shard in view.Collection(collection).Shards)
                    {
                        var counts = new List<long>();
                        foreach (var replica in shard.Replicas)
                        {
                            var worker = _workers.FirstOrDefault(w => w.Name == replica.Node && w.IsRunning && !w.IsHung);
                            using var probe = worker is null ? null : new ReplicaProbe(worker.Url);
                            var stats = probe is null ? null : await probe.TryStatsAsync(collectionId, shard.Shard, TimeSpan.FromSeconds(5));
                            lines.Add($"shard {shard.Shard} on {replica.Node}: " + (stats is null ? "no answer" : $"{stats.State}, lag {stats.Lag}, {stats.DocCount} docs"));
                            ok &= stats is { State: "serving", Lag: 0 };
                            counts.Add(stats?.DocCount ?? -1);
                        }

                        ok &= counts.Count > 0 && counts.Distinct().Count() == 1;
                        total += counts.FirstOrDefault();
                    }

                    last = $"{total} docs in all; " + string.Join("; ", lines);
                    return ok && total == documents;
                },
                timeout,
                $"every replica of '{collection}' serving with lag 0, {documents} docs in all",
                TimeSpan.FromMilliseconds(200));
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}; last seen: {last}", ex);
        }
    }

    /// <summary>/cluster and the tail of every node's log and of PostgreSQL's, for a failure message.</summary>
    public async Task<string> DiagnosticsAsync()
    {
        var text = new StringBuilder();
        foreach (var coordinator in _coordinators.Where(c => c.IsRunning && !c.IsHung))
        {
            try
            {
                using var http = new MosaicHttp(coordinator.Url, TimeSpan.FromSeconds(5), AdminKey);
                var r = await http.GetAsync("cluster");
                text.Append(CultureInfo.InvariantCulture, $"\n--- GET /cluster from {coordinator}: {r.StatusCode}\n");
                var view = r.Json is JsonObject o ? ClusterView.Parse(o) : null;
                text.AppendLine(view is null ? r.Body : string.Join('\n', view.Collections.Select(c => view.Describe(c.Name))));
                break;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"--- GET /cluster from {coordinator} failed: {ex.Message}");
            }
        }

        foreach (var node in _workers.Concat(_coordinators).Concat(_others))
        {
            text.Append(CultureInfo.InvariantCulture, $"\n--- {node}{(node.IsHung ? " [SIGSTOPped]" : node.IsRunning ? "" : " [not running]")}: {node.LogPath} (tail)\n");
            text.AppendLine(node.LogTail(25));
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var http in _http.Values)
        {
            http.Dispose();
        }

        _http.Clear();
        // Coordinators first, so nothing re-places replicas while workers go away.
        foreach (var node in _others.Concat(_coordinators).Concat(_workers))
        {
            await node.DisposeAsync();
        }
    }

    private async Task StartAsync()
    {
        string[] auth = [];
        if (_spec.ApiKeys)
        {
            // Offline against the store, before any coordinator could refuse the request for want of a key.
            var created = await CliRun.RunAsync(["keys", "create", "--role", "admin", "--store", _store], _dir.Combine("keys-admin.log"), StartTimeout);
            AdminKey = created.ExitCode == 0 && created.Stdout.Count == 1 ? created.Stdout[0] : throw new InvalidOperationException(created.Describe());
            auth = ["--Mosaic:Auth:Enabled=true"];
        }

        for (int i = 0; i < _spec.Workers; i++)
        {
            NewWorker(_spec.WorkerLease?.Invoke(i), [.. _spec.WorkerArgsAt?.Invoke(i) ?? []]);
        }

        for (int i = 0; i < _spec.ServeNodes; i++)
        {
            // Every role in one process over the store: reached as a coordinator, holds replicas like a worker.
            var port = FreePort.Next();
            string data = _dir.Combine($"serve-{i + 1}");
            Directory.CreateDirectory(data);
            _coordinators.Add(new ClusterNode("serve", i + 1, port, data, _dir.Path,
            [
                "serve", "--store", _store, "--data", data, "--port", Invariant(port), $"--Mosaic:GrpcPort={Invariant(FreePort.Next())}",
                $"--Mosaic:NodeLease={_spec.NodeLease:c}",
                $"--Mosaic:Placement:Interval={_spec.PlacementInterval:c}",
                .. auth,
                .. _spec.CoordinatorArgs,
            ]));
        }

        for (int i = 0; i < _spec.Coordinators; i++)
        {
            var port = FreePort.Next();
            _coordinators.Add(new ClusterNode("coordinator", i + 1, port, null, _dir.Path,
            [
                "coordinator", "--store", _store, "--port", Invariant(port),
                $"--Mosaic:NodeLease={_spec.NodeLease:c}",
                $"--Mosaic:Placement:Interval={_spec.PlacementInterval:c}",
                .. auth,
                .. _spec.CoordinatorArgs,
                .. _spec.CoordinatorArgsAt?.Invoke(i) ?? [],
            ]));
        }

        // All at once: each process spends its first second or two starting the runtime.
        var all = _workers.Concat(_coordinators).ToList();
        await Task.WhenAll(all.Select(n => n.StartAsync(StartTimeout)));
        foreach (var node in all)
        {
            Log($"started {node}, log {node.LogPath}");
        }

        var workers = _workers.Select(w => w.Name).ToHashSet();
        await Wait.WaitUntilAsync(
            async () => (await ViewAsync()).LiveWorkers.IsSupersetOf(workers),
            StartTimeout,
            $"/cluster lists the {workers.Count} workers alive",
            TimeSpan.FromMilliseconds(100));
        Log("cluster up");
    }

    private ClusterNode NewWorker(TimeSpan? lease, string[] extraArgs, int? fixedPort = null)
    {
        int index = _workers.Count + 1;
        int port = fixedPort ?? FreePort.Next();
        int metricsPort = FreePort.Next();
        string data = _dir.Combine($"worker-{index}");
        Directory.CreateDirectory(data);
        var node = new ClusterNode("worker", index, port, data, _dir.Path,
        [
            "worker", "--store", _store, "--data", data, "--port", Invariant(port), "--advertise", $"127.0.0.1:{Invariant(port)}",
            $"--Mosaic:NodeLease={lease ?? _spec.NodeLease:c}", $"--Mosaic:MetricsPort={Invariant(metricsPort)}",
            .. _spec.WorkerArgs,
            .. extraArgs,
        ], metricsPort);
        _workers.Add(node);
        return node;
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>What a cluster scenario starts with.</summary>
public sealed record ClusterSpec
{
    public int Workers { get; init; } = 3;

    public int Coordinators { get; init; } = 1;

    /// <summary>`mosaic serve --store` nodes (listed first among <see cref="ClusterHarness.Coordinators"/>).</summary>
    public int ServeNodes { get; init; }

    /// <summary>Lease of every node (renewed every third of it); short, so a dead worker drops out quickly.</summary>
    public TimeSpan NodeLease { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>A longer (or shorter) lease for chosen workers, by 0-based index; null keeps <see cref="NodeLease"/>.</summary>
    public Func<int, TimeSpan?>? WorkerLease { get; init; }

    public TimeSpan PlacementInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    public IReadOnlyList<string> CoordinatorArgs { get; init; } = [];

    /// <summary>Further arguments for one coordinator, by 0-based index (e.g. <c>--serves read</c>); null adds none.</summary>
    public Func<int, IReadOnlyList<string>>? CoordinatorArgsAt { get; init; }

    public IReadOnlyList<string> WorkerArgs { get; init; } = [];

    /// <summary>Further arguments for one of the first workers, by 0-based index (after <see cref="WorkerArgs"/>, so they win); null adds none.</summary>
    public Func<int, IReadOnlyList<string>>? WorkerArgsAt { get; init; }

    /// <summary>Keys on: coordinators run with <c>Mosaic:Auth:Enabled</c>, and the harness makes the store's first admin
    /// key offline before any node starts (<see cref="ClusterHarness.AdminKey"/>) and sends it on its own requests.</summary>
    public bool ApiKeys { get; init; }
}

/// <summary>A cluster scenario's failure with the cluster's state and logs in its message.</summary>
public sealed class ClusterScenarioException(string message, Exception inner) : Exception(message, inner);
