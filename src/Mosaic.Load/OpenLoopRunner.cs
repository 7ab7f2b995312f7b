using System.Diagnostics;

namespace Mosaic.Load;

/// <summary>Searches at a constant rate on a fixed timeline; latency is measured from each request's scheduled time (wrk2-style).</summary>
/// <remarks>
/// Request i is due at start + i/R. A dedicated thread sleeps until each due time and hands the request to the thread
/// pool; it never waits for answers, so a server stall does not slow the schedule down, and every request that should
/// have been sent during the stall is charged the stall (no coordinated omission). At most MaxInFlight requests are
/// outstanding: past that the dispatcher blocks, and the requests it delays are still timed from their due time.
/// The run is bounded by R × (warm-up + duration) requests and by MaxRequests.
/// </remarks>
public sealed class OpenLoopRunner(SearchSender sender, RequestBodies bodies, QueryPicker picker, LoadShape shape)
    : LoadRunner(sender, bodies, picker, shape)
{
    public override async Task<RunMeasurement> RunAsync(CancellationToken ct)
    {
        double total = Shape.Rate * (Shape.Warmup + Shape.Duration).TotalSeconds;
        long count = Math.Min(Shape.MaxRequests, (long)Math.Ceiling(total));
        double interval = Stopwatch.Frequency / Shape.Rate;
        using var inFlight = new SemaphoreSlim(Shape.MaxInFlight, Shape.MaxInFlight);
        var requests = new List<Task>((int)Math.Min(count, 1 << 20));
        long start = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 100);
        long measureFrom = start + (long)(Shape.Warmup.TotalSeconds * Stopwatch.Frequency);
        Begin(start, measureFrom);
        CpuSample cpuFrom = default;
        bool cpuTaken = false;

        var dispatched = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dispatcher = new Thread(() =>
        {
            try
            {
                for (long i = 0; i < count && !ct.IsCancellationRequested; i++)
                {
                    long due = start + (long)(i * interval);
                    PreciseSleep.Until(due);
                    if (!cpuTaken && due >= measureFrom)
                    {
                        cpuFrom = CpuSample.Take(Shape.ServerPid);
                        cpuTaken = true;
                    }

                    inFlight.Wait(ct);
                    long sequence = i;
                    requests.Add(Task.Run(() => OneAsync(sequence, due, inFlight, ct), CancellationToken.None));
                }

                dispatched.SetResult();
            }
            catch (OperationCanceledException)
            {
                dispatched.SetResult();
            }
            catch (Exception ex)
            {
                dispatched.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "open-loop dispatcher",
        };
        dispatcher.Start();
        await dispatched.Task.ConfigureAwait(false);
        await Task.WhenAll(requests).ConfigureAwait(false);

        var cpuEnd = CpuSample.Take(Shape.ServerPid);
        return Finish(cpuTaken ? cpuEnd.Since(cpuFrom) : default);
    }

    private async Task OneAsync(long sequence, long due, SemaphoreSlim inFlight, CancellationToken ct)
    {
        try
        {
            long sent = Stopwatch.GetTimestamp();
            var outcome = await Sender.SendAsync(Bodies[Picker.Pick(sequence)], ct).ConfigureAwait(false);
            Record(outcome, due, sent, Stopwatch.GetTimestamp());
        }
        finally
        {
            inFlight.Release();
        }
    }
}
