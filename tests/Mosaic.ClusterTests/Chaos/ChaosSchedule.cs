using System.Globalization;

namespace Mosaic.ClusterTests.Chaos;

public enum FaultKind
{
    /// <summary>kill -9 a worker, start it again after the hold (same directory, same node id).</summary>
    KillWorker,

    /// <summary>SIGSTOP a worker for the hold, then SIGCONT.</summary>
    HangWorker,

    /// <summary>kill -9 a coordinator (the placement leader or not), start it again after the hold.</summary>
    KillCoordinator,

    /// <summary>Stop PostgreSQL for the hold, then start it again.</summary>
    StopStore,

    /// <summary>Drain a worker, undrain it after the hold.</summary>
    Drain,

    /// <summary>Split a serving shard (the target picks which).</summary>
    Split,

    /// <summary>Start one more worker.</summary>
    AddWorker,
}

/// <summary>One fault: when it starts (from the start of the faults), what, on which target (an index taken modulo the candidates), and for how long.</summary>
public sealed record Fault(TimeSpan At, FaultKind Kind, int Target, TimeSpan Hold)
{
    public override string ToString() =>
        $"+{At.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)}s {Kind} target {Target.ToString(CultureInfo.InvariantCulture)} hold {Hold.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)}s";
}

/// <summary>A seeded random list of faults, one every few seconds: the same seed and duration give the same schedule.</summary>
public static class ChaosSchedule
{
    /// <summary>At most this many splits and added workers a run: each makes the cluster bigger for the rest of it.</summary>
    private const int MaxSplits = 2;
    private const int MaxAddedWorkers = 1;

    public static IReadOnlyList<Fault> Make(int seed, TimeSpan duration)
    {
        var random = new Random(seed);
        var faults = new List<Fault>();
        int splits = 0;
        int added = 0;
        for (var at = TimeSpan.FromSeconds(2); at < duration; at += TimeSpan.FromSeconds(2 + random.NextDouble() * 4))
        {
            // Weights: the faults the scripted tests cover least (overlapping kills, hangs, outages) most often.
            var kind = random.Next(20) switch
            {
                < 5 => FaultKind.KillWorker,
                < 9 => FaultKind.HangWorker,
                < 12 => FaultKind.KillCoordinator,
                < 15 => FaultKind.StopStore,
                < 18 => FaultKind.Drain,
                18 when splits < MaxSplits => FaultKind.Split,
                19 when added < MaxAddedWorkers => FaultKind.AddWorker,
                _ => FaultKind.KillWorker,
            };
            splits += kind == FaultKind.Split ? 1 : 0;
            added += kind == FaultKind.AddWorker ? 1 : 0;
            var hold = kind switch
            {
                FaultKind.Drain => TimeSpan.FromSeconds(4 + random.NextDouble() * 10),
                FaultKind.Split or FaultKind.AddWorker => TimeSpan.Zero,
                _ => TimeSpan.FromSeconds(1 + random.NextDouble() * 5),
            };
            faults.Add(new Fault(at, kind, random.Next(1000), hold));
        }

        return faults;
    }
}
