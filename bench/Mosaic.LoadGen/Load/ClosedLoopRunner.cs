using System.Diagnostics;

namespace Mosaic.LoadGen.Load;

/// <summary>C clients, each sending its next search as soon as the previous answer arrived, for the warm-up and then the measured duration.</summary>
/// <remarks>
/// A request belongs to the phase in which it was sent. The run ends at the deadline or after MaxRequests sends,
/// whichever comes first; requests in flight then finish (each bounded by the request timeout).
/// Closed-loop latency is the service time as the clients saw it: it understates what users would see when the
/// server stalls (coordinated omission); use the open loop for latency at a given load.
/// </remarks>
internal sealed class ClosedLoopRunner(SearchSender sender, RequestBodies bodies, QueryPicker picker, LoadSettings settings)
{
    private PhaseRecorder _warmup = null!;
    private PhaseRecorder _measured = null!;
    private long _sequence = -1;

    public async Task<RunMeasurement> RunAsync(CancellationToken ct)
    {
        long start = Stopwatch.GetTimestamp();
        long measureFrom = start + (long)(settings.Warmup.TotalSeconds * Stopwatch.Frequency);
        long end = measureFrom + (long)(settings.Duration.TotalSeconds * Stopwatch.Frequency);
        _warmup = new PhaseRecorder(start);
        _measured = new PhaseRecorder(measureFrom);

        var cpuStart = settings.Warmup > TimeSpan.Zero ? default : CpuSample.Take(settings.ServerPid);
        var cpuAtMeasure = settings.Warmup > TimeSpan.Zero
            ? Task.Delay(settings.Warmup, ct).ContinueWith(_ => CpuSample.Take(settings.ServerPid), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default)
            : Task.FromResult(cpuStart);

        var clients = new Task[settings.Clients];
        for (int c = 0; c < clients.Length; c++)
        {
            clients[c] = Task.Run(() => ClientAsync(measureFrom, end, ct), ct);
        }

        await Task.WhenAll(clients).ConfigureAwait(false);
        var cpuEnd = CpuSample.Take(settings.ServerPid);
        var cpuFrom = await cpuAtMeasure.ConfigureAwait(false);
        var cpu = cpuEnd.Since(cpuFrom);
        long last = Math.Max(_measured.LastCompletion, measureFrom + 1);
        double seconds = Stopwatch.GetElapsedTime(measureFrom, last).TotalSeconds;
        return new RunMeasurement(_warmup.Snapshot(), _measured.Snapshot(), seconds, cpu, ProcessCpu.LoadAverage());
    }

    private async Task ClientAsync(long measureFrom, long end, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            long sent = Stopwatch.GetTimestamp();
            if (sent >= end)
            {
                return;
            }

            long n = Interlocked.Increment(ref _sequence);
            if (n >= settings.MaxRequests)
            {
                return;
            }

            var outcome = await sender.SendAsync(bodies[picker.Pick(n)], ct).ConfigureAwait(false);
            long done = Stopwatch.GetTimestamp();
            (sent < measureFrom ? _warmup : _measured).Record(outcome, sent, sent, done);
        }
    }
}
