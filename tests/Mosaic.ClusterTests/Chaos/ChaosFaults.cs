using System.Diagnostics;
using System.Net;
using Mosaic.ClusterTests.Cluster;
using Mosaic.Testing;

namespace Mosaic.ClusterTests.Chaos;

/// <summary>
/// Plays a <see cref="ChaosSchedule"/> on a running cluster: each fault starts at its time and undoes itself after its
/// hold, so faults overlap; a node already under a fault is not picked again until it is back. <see cref="RunAsync"/>
/// returns when every fault has been undone (every process running, the store up, no node drained).
/// </summary>
public sealed class ChaosFaults(ClusterHarness cluster, PostgresServer store, string collection, ChaosReport report)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly Lock _lock = new();
    private readonly HashSet<ClusterNode> _busy = [];
    private readonly HashSet<ClusterNode> _drained = [];
    private bool _storeDown;

    /// <summary>Workers a fault may pick: those started with the cluster and those whose <see cref="FaultKind.AddWorker"/> finished (one still starting is off limits).</summary>
    private int _workersUp;

    public async Task RunAsync(IReadOnlyList<Fault> schedule)
    {
        _workersUp = cluster.Workers.Count;
        var clock = Stopwatch.StartNew();
        var running = new List<Task>();
        foreach (var fault in schedule)
        {
            var wait = fault.At - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            running.Add(Task.Run(() => ApplyAsync(fault)));
        }

        await Task.WhenAll(running);
    }

    private async Task ApplyAsync(Fault fault)
    {
        try
        {
            switch (fault.Kind)
            {
                case FaultKind.KillWorker:
                case FaultKind.HangWorker:
                case FaultKind.Drain:
                    await OnWorkerAsync(fault);
                    break;
                case FaultKind.KillCoordinator:
                    if (Take(cluster.Coordinators, fault.Target) is { } coordinator)
                    {
                        try
                        {
                            await KillAndRestartAsync(coordinator, fault.Hold);
                        }
                        finally
                        {
                            Release(coordinator);
                        }
                    }

                    break;
                case FaultKind.StopStore:
                    await StopStoreAsync(fault.Hold);
                    break;
                case FaultKind.Split:
                    await SplitAsync(fault.Target);
                    break;
                case FaultKind.AddWorker:
                    var node = await cluster.AddWorkerAsync();
                    Interlocked.Increment(ref _workersUp);
                    cluster.Log($"chaos: added {node}");
                    break;
            }
        }
        catch (Exception ex)
        {
            report.Violation($"fault {fault} could not be played: {ex.GetType().Name}: {ex.Message}");
        }
    }

    private async Task OnWorkerAsync(Fault fault)
    {
        bool drain = fault.Kind == FaultKind.Drain;
        if (Take(cluster.Workers.Take(Volatile.Read(ref _workersUp)).ToList(), fault.Target, drainedToo: !drain) is not { } worker)
        {
            cluster.Log($"chaos: {fault} skipped, every worker is under a fault");
            return;
        }

        if (drain)
        {
            lock (_lock)
            {
                // A drained worker may be killed or hung meanwhile: a drain must outlive that.
                _drained.Add(worker);
                _busy.Remove(worker);
            }

            try
            {
                await AdminAsync(HttpMethod.Post, $"cluster/nodes/{worker.Name}:drain", HttpStatusCode.Accepted);
                cluster.Log($"chaos: drain {worker} for {fault.Hold.TotalSeconds:F1}s");
                await Task.Delay(fault.Hold);
                await AdminAsync(HttpMethod.Post, $"cluster/nodes/{worker.Name}:undrain", HttpStatusCode.Accepted);
                cluster.Log($"chaos: undrain {worker}");
            }
            finally
            {
                lock (_lock)
                {
                    _drained.Remove(worker);
                }
            }

            return;
        }

        try
        {
            if (fault.Kind == FaultKind.KillWorker)
            {
                await KillAndRestartAsync(worker, fault.Hold);
                return;
            }

            worker.Hang();
            cluster.Log($"chaos: SIGSTOP {worker} for {fault.Hold.TotalSeconds:F1}s");
            await Task.Delay(fault.Hold);
            worker.Resume();
            cluster.Log($"chaos: SIGCONT {worker}");
        }
        finally
        {
            Release(worker);
        }
    }

    /// <summary>A running node under no fault (nor drained, unless <paramref name="drainedToo"/>), picked by <paramref name="target"/>, marked busy; null when there is none.</summary>
    private ClusterNode? Take(IReadOnlyList<ClusterNode> nodes, int target, bool drainedToo = true)
    {
        lock (_lock)
        {
            var free = nodes.Where(n => !_busy.Contains(n) && (drainedToo || !_drained.Contains(n)) && n.IsRunning).ToList();
            if (free.Count == 0)
            {
                return null;
            }

            var node = free[target % free.Count];
            _busy.Add(node);
            return node;
        }
    }

    private void Release(ClusterNode node)
    {
        lock (_lock)
        {
            _busy.Remove(node);
        }
    }

    private async Task KillAndRestartAsync(ClusterNode node, TimeSpan hold)
    {
        node.Kill();
        cluster.Log($"chaos: kill -9 {node} for {hold.TotalSeconds:F1}s");
        await Task.Delay(hold);
        await StartAgainAsync(node);
    }

    /// <summary>
    /// Starts a node again. A start that fails is a broken invariant (a node waits for a store that is down, and its port
    /// is free once it died), tried again as a supervisor would so the soak goes on.
    /// </summary>
    private async Task StartAgainAsync(ClusterNode node)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await node.StartAsync(StartTimeout);
                cluster.Log($"chaos: started {node} again");
                return;
            }
            catch (InvalidProgramException ex) when (attempt < 10)
            {
                report.Violation($"{node} exited before it was healthy (try {attempt}): {string.Join("\n    ", ex.Message.Split('\n').TakeLast(6))}");
                cluster.Log($"chaos: {node} did not start (try {attempt}): {string.Join("\n    ", ex.Message.Split('\n').TakeLast(6))}");
                await Task.Delay(1000);
            }
        }
    }

    private async Task StopStoreAsync(TimeSpan hold)
    {
        lock (_lock)
        {
            if (_storeDown)
            {
                return;
            }

            _storeDown = true;
        }

        try
        {
            await store.StopAsync();
            cluster.Log($"chaos: PostgreSQL stopped for {hold.TotalSeconds:F1}s");
            await Task.Delay(hold);
        }
        finally
        {
            await store.StartAgainAsync();
            cluster.Log("chaos: PostgreSQL started again");
            lock (_lock)
            {
                _storeDown = false;
            }
        }
    }

    private async Task SplitAsync(int target)
    {
        var view = await AdminAsync(HttpMethod.Get, "cluster", HttpStatusCode.OK);
        var serving = ClusterView.Parse(view.Object).Collection(collection).Shards.Where(s => s.State == "serving").ToList();
        int shard = serving[target % serving.Count].Shard;
        await AdminAsync(HttpMethod.Post, $"collections/{collection}/shards/{shard}:split", HttpStatusCode.Accepted);
        cluster.Log($"chaos: split shard {shard}");
    }

    /// <summary>
    /// An operator's request through whichever coordinator answers, tried again on a 503 or no answer (the store or a
    /// coordinator down) for up to a minute; any other answer than <paramref name="expected"/> is a broken invariant.
    /// </summary>
    private async Task<ApiResponse> AdminAsync(HttpMethod method, string path, HttpStatusCode expected)
    {
        var clock = Stopwatch.StartNew();
        for (int attempt = 0; ; attempt++)
        {
            var http = cluster.Http(attempt % cluster.Coordinators.Count);
            try
            {
                var r = await http.SendAsync(method, path, null);
                if (r.Status == expected)
                {
                    return r;
                }

                if (r.Status != HttpStatusCode.ServiceUnavailable || clock.Elapsed > TimeSpan.FromMinutes(1))
                {
                    report.Violation($"operator request {method} {path} via {http.BaseUrl}: {r.Describe()}");
                    return r;
                }
            }
            catch (Exception ex) when ((ex is HttpRequestException or TaskCanceledException) && clock.Elapsed < TimeSpan.FromMinutes(1))
            {
            }

            await Task.Delay(500);
        }
    }
}
