using System.Diagnostics.Metrics;
using Mosaic.Core.Observability;

namespace Mosaic.Hosting.Observability;

/// <summary>
/// The last minutes of this process's own signals, one slot per second: searches (complete, partial, failed), search
/// latency in <see cref="LatencyBuckets"/>, requests and server errors, cache hits and misses, and process CPU time.
/// Read by /signals, and through it by the dashboard and the advisor.
/// </summary>
/// <remarks>
/// It listens to the same instruments /metrics exports (a <see cref="MeterListener"/> on this app's own "Mosaic" meter),
/// so the dashboard and Prometheus never disagree about what was counted. Memory is fixed: <see cref="Seconds"/> slots
/// reused as the ring turns; nothing older is kept. A one-second timer reads the CPU clock, which also means a quiet
/// second still gets a slot.
/// </remarks>
public sealed class SignalRecorder : IDisposable
{
    /// <summary>Slots kept: ten minutes at one per second.</summary>
    public const int Seconds = 600;

    private readonly TimeProvider _time;
    private readonly Func<TimeSpan> _cpuTime;
    private readonly MeterListener _listener = new();
    private readonly ITimer _cpuTimer;
    private readonly Slot[] _slots = new Slot[Seconds];
    private readonly Lock _lock = new();

    /// <param name="cpuTime">The process's total CPU time so far (default <see cref="Environment.CpuUsage"/>).</param>
    public SignalRecorder(MosaicMetrics metrics, TimeProvider time, Func<TimeSpan>? cpuTime = null)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _time = time;
        _cpuTime = cpuTime ?? (static () => Environment.CpuUsage.TotalTime);
        for (int i = 0; i < _slots.Length; i++)
        {
            _slots[i] = new Slot();
        }

        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (metrics.Owns(instrument) && instrument.Name is "mosaic.searches" or "mosaic.search.duration" or "mosaic.cache.lookups" or "mosaic.http.request.duration")
            {
                listener.EnableMeasurementEvents(instrument, this);
            }
        };
        _listener.SetMeasurementEventCallback<long>(static (instrument, value, tags, state) => ((SignalRecorder)state!).OnCount(instrument.Name, value, tags));
        _listener.SetMeasurementEventCallback<double>(static (instrument, value, tags, state) => ((SignalRecorder)state!).OnValue(instrument.Name, value, tags));
        _listener.Start();
        ReadCpu();
        _cpuTimer = time.CreateTimer(static state => ((SignalRecorder)state!).ReadCpu(), this, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>Cores the CPU utilization is relative to.</summary>
    public static int Cores => Environment.ProcessorCount;

    /// <summary>The last whole second that has ended (Unix seconds); windows end there, so none counts a second twice.</summary>
    public long LastCompleteSecond => NowSecond() - 1;

    /// <summary>Totals over the last <paramref name="window"/> of complete seconds.</summary>
    public SignalWindow Window(TimeSpan window)
    {
        long to = LastCompleteSecond;
        return Window(to - (long)Math.Clamp(Math.Ceiling(window.TotalSeconds), 1, MaxWindowSeconds) + 1, to);
    }

    /// <summary>Totals over the Unix seconds <paramref name="from"/>..<paramref name="to"/>, both included; seconds older than
    /// the ring are left out.</summary>
    public SignalWindow Window(long from, long to)
    {
        long now = NowSecond(), oldest = now - MaxWindowSeconds;
        to = Math.Min(to, now);
        if (to < oldest || from > to)
        {
            return SignalWindow.Empty(TimeSpan.FromSeconds(Math.Max(1, to - from + 1)));
        }

        from = Math.Max(from, oldest);
        return Aggregate(to, (int)(to - from + 1));
    }

    /// <summary>The longest window the ring can answer (one slot is the second being written, one the CPU start).</summary>
    public const int MaxWindowSeconds = Seconds - 2;

    public void Dispose()
    {
        _cpuTimer.Dispose();
        _listener.Dispose();
    }

    private long NowSecond() => _time.GetUtcNow().ToUnixTimeSeconds();

    private SignalWindow Aggregate(long endSecond, int seconds)
    {
        var latency = new long[LatencyBuckets.Count];
        long searches = 0, partial = 0, failed = 0, requests = 0, errors = 0, hits = 0, misses = 0;
        (long Second, TimeSpan Cpu)? firstCpu = null, lastCpu = null;
        lock (_lock)
        {
            // One second before the window too: its CPU reading is where the window's CPU time starts.
            for (long s = endSecond - seconds; s <= endSecond; s++)
            {
                var slot = _slots[(int)(s % Seconds)];
                if (slot.Second != s)
                {
                    continue;
                }

                if (slot.Cpu is { } cpu)
                {
                    firstCpu ??= (s, cpu);
                    lastCpu = (s, cpu);
                }

                if (s == endSecond - seconds)
                {
                    continue;
                }

                searches += slot.Searches;
                partial += slot.Partial;
                failed += slot.Failed;
                requests += slot.Requests;
                errors += slot.ServerErrors;
                hits += slot.CacheHits;
                misses += slot.CacheMisses;
                for (int b = 0; b < latency.Length; b++)
                {
                    latency[b] += slot.Latency[b];
                }
            }
        }

        double? utilization = firstCpu is { } f && lastCpu is { } l && l.Second > f.Second
            ? Math.Clamp((l.Cpu - f.Cpu).TotalSeconds / ((l.Second - f.Second) * Cores), 0, 1)
            : null;
        return new SignalWindow(TimeSpan.FromSeconds(seconds), searches, partial, failed, requests, errors, hits, misses, latency, utilization);
    }

    private void ReadCpu()
    {
        var cpu = _cpuTime();
        lock (_lock)
        {
            Current().Cpu = cpu;
        }
    }

    // Callers hold _lock.
    private Slot Current()
    {
        long now = NowSecond();
        var slot = _slots[(int)(now % Seconds)];
        if (slot.Second != now)
        {
            slot.Reset(now);
        }

        return slot;
    }

    private void OnCount(string instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? outcome = null;
        foreach (var tag in tags)
        {
            if (tag.Key is "outcome" or "result")
            {
                outcome = tag.Value as string;
            }
        }

        lock (_lock)
        {
            var slot = Current();
            switch (instrument)
            {
                case "mosaic.searches":
                    slot.Searches += value;
                    slot.Partial += outcome == "partial" ? value : 0;
                    slot.Failed += outcome == "failed" ? value : 0;
                    break;
                case "mosaic.cache.lookups" when outcome == "hit":
                    slot.CacheHits += value;
                    break;
                case "mosaic.cache.lookups":
                    slot.CacheMisses += value;
                    break;
            }
        }
    }

    private void OnValue(string instrument, double seconds, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (instrument == "mosaic.http.request.duration")
        {
            int status = 0;
            foreach (var tag in tags)
            {
                if (tag.Key == "status" && tag.Value is int s)
                {
                    status = s;
                }
            }

            lock (_lock)
            {
                var slot = Current();
                slot.Requests++;
                slot.ServerErrors += status >= 500 ? 1 : 0;
            }

            return;
        }

        int bucket = LatencyBuckets.Of(seconds * 1000);
        lock (_lock)
        {
            Current().Latency[bucket]++;
        }
    }

    private sealed class Slot
    {
        public long Second { get; private set; } = -1;

        public long Searches { get; set; }

        public long Partial { get; set; }

        public long Failed { get; set; }

        public long Requests { get; set; }

        public long ServerErrors { get; set; }

        public long CacheHits { get; set; }

        public long CacheMisses { get; set; }

        public TimeSpan? Cpu { get; set; }

        public long[] Latency { get; } = new long[LatencyBuckets.Count];

        public void Reset(long second)
        {
            Second = second;
            Searches = Partial = Failed = Requests = ServerErrors = CacheHits = CacheMisses = 0;
            Cpu = null;
            Array.Clear(Latency);
        }
    }
}
