using System.Diagnostics;

namespace Mosaic.Load;

/// <summary>C clients, each sending its next search as soon as the previous answer arrived, for the warm-up and then the measured duration.</summary>
/// <remarks>
/// A request belongs to the phase in which it was sent. The run ends at the deadline or after MaxRequests sends,
/// whichever comes first; requests in flight then finish (each bounded by the request timeout).
/// Closed-loop latency is the service time as the clients saw it: it understates what users would see when the
/// server stalls (coordinated omission); use the open loop for latency at a given load.
/// </remarks>
public sealed class ClosedLoopRunner(SearchSender sender, RequestBodies bodies, QueryPicker picker, LoadShape shape)
    : LoadRunner(sender, bodies, picker, shape)
{
    private long _sequence = -1;

    public override async Task<RunMeasurement> RunAsync(CancellationToken ct)
    {
        long start = Stopwatch.GetTimestamp();
        long measureFrom = start + (long)(Shape.Warmup.TotalSeconds * Stopwatch.Frequency);
        long end = measureFrom + (long)(Shape.Duration.TotalSeconds * Stopwatch.Frequency);
        Begin(start, measureFrom);

        var cpuStart = Shape.Warmup > TimeSpan.Zero ? default : CpuSample.Take(Shape.ServerPid);
        var cpuAtMeasure = Shape.Warmup > TimeSpan.Zero
            ? Task.Delay(Shape.Warmup, ct).ContinueWith(_ => CpuSample.Take(Shape.ServerPid), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default)
            : Task.FromResult(cpuStart);

        var clients = new Task[Shape.Clients];
        for (int c = 0; c < clients.Length; c++)
        {
            clients[c] = Task.Run(() => ClientAsync(end, ct), ct);
        }

        await Task.WhenAll(clients).ConfigureAwait(false);
        var cpuEnd = CpuSample.Take(Shape.ServerPid);
        var cpuFrom = await cpuAtMeasure.ConfigureAwait(false);
        return Finish(cpuEnd.Since(cpuFrom));
    }

    private async Task ClientAsync(long end, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            long sent = Stopwatch.GetTimestamp();
            if (sent >= end)
            {
                return;
            }

            long n = Interlocked.Increment(ref _sequence);
            if (n >= Shape.MaxRequests)
            {
                return;
            }

            var outcome = await Sender.SendAsync(Bodies[Picker.Pick(n)], ct).ConfigureAwait(false);
            Record(outcome, sent, sent, Stopwatch.GetTimestamp());
        }
    }
}
