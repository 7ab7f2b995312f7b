using System.Diagnostics;

namespace Mosaic.LoadGen.Load;

/// <summary>Searches at a constant rate on a fixed timeline; latency is measured from each request's scheduled time (wrk2-style).</summary>
/// <remarks>
/// Request i is due at start + i/R. A dedicated thread sleeps until each due time and hands the request to the thread
/// pool; it never waits for answers, so a server stall does not slow the schedule down, and every request that should
/// have been sent during the stall is charged the stall (no coordinated omission). At most MaxInFlight requests are
/// outstanding: past that the dispatcher blocks, and the requests it delays are still timed from their due time.
/// The run is bounded by R × (warm-up + duration) requests and by MaxRequests.
/// </remarks>
internal sealed class OpenLoopRunner(SearchSender sender, RequestBodies bodies, QueryPicker picker, LoadSettings settings)
{
    private PhaseRecorder _warmup = null!;
    private PhaseRecorder _measured = null!;

    public async Task<RunMeasurement> RunAsync(CancellationToken ct)
    {
        double total = settings.Rate * (settings.Warmup + settings.Duration).TotalSeconds;
        long count = Math.Min(settings.MaxRequests, (long)Math.Ceiling(total));
        double interval = Stopwatch.Frequency / settings.Rate;
        using var inFlight = new SemaphoreSlim(settings.MaxInFlight, settings.MaxInFlight);
        var requests = new List<Task>((int)Math.Min(count, 1 << 20));
        long start = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 100);
        long measureFrom = start + (long)(settings.Warmup.TotalSeconds * Stopwatch.Frequency);
        _warmup = new PhaseRecorder(start);
        _measured = new PhaseRecorder(measureFrom);
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
                        cpuFrom = CpuSample.Take(settings.ServerPid);
                        cpuTaken = true;
                    }

                    inFlight.Wait(ct);
                    long sequence = i;
                    requests.Add(Task.Run(() => OneAsync(sequence, due, measureFrom, inFlight, ct), CancellationToken.None));
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

        var cpuEnd = CpuSample.Take(settings.ServerPid);
        var cpu = cpuTaken ? cpuEnd.Since(cpuFrom) : default;
        long last = Math.Max(_measured.LastCompletion, measureFrom + 1);
        double seconds = Stopwatch.GetElapsedTime(measureFrom, last).TotalSeconds;
        return new RunMeasurement(_warmup.Snapshot(), _measured.Snapshot(), seconds, cpu, ProcessCpu.LoadAverage());
    }

    private async Task OneAsync(long sequence, long due, long measureFrom, SemaphoreSlim inFlight, CancellationToken ct)
    {
        try
        {
            long sent = Stopwatch.GetTimestamp();
            var outcome = await sender.SendAsync(bodies[picker.Pick(sequence)], ct).ConfigureAwait(false);
            long done = Stopwatch.GetTimestamp();
            (due < measureFrom ? _warmup : _measured).Record(outcome, due, sent, done);
        }
        finally
        {
            inFlight.Release();
        }
    }
}
