using System.Diagnostics;

namespace Mosaic.Load;

/// <summary>A closed or open loop over pre-serialized searches; <see cref="Progress"/> may be read while it runs.</summary>
public abstract class LoadRunner(SearchSender sender, RequestBodies bodies, QueryPicker picker, LoadShape shape)
{
    private volatile PhaseRecorder? _warmup;
    private volatile PhaseRecorder? _measured;
    private long _measureFrom = long.MaxValue;

    protected SearchSender Sender => sender;

    protected RequestBodies Bodies => bodies;

    protected QueryPicker Picker => picker;

    protected LoadShape Shape => shape;

    /// <summary>The runner <paramref name="shape"/> asks for.</summary>
    public static LoadRunner For(SearchSender sender, RequestBodies bodies, QueryPicker picker, LoadShape shape) =>
        shape.Loop == LoopKind.Closed ? new ClosedLoopRunner(sender, bodies, picker, shape) : new OpenLoopRunner(sender, bodies, picker, shape);

    /// <summary>Runs the warm-up and the measured phase; returns when every request sent has finished.</summary>
    public abstract Task<RunMeasurement> RunAsync(CancellationToken ct);

    /// <summary>The phase under way and what it recorded so far; null before the run starts.</summary>
    public (bool Measuring, PhaseSnapshot Phase)? Progress()
    {
        bool measuring = Stopwatch.GetTimestamp() >= Interlocked.Read(ref _measureFrom);
        var recorder = measuring ? _measured : _warmup;
        return recorder is null ? null : (measuring, recorder.Snapshot());
    }

    /// <summary>Sets up both phases' recorders; a request belongs to the warm-up when it was due before <paramref name="measureFrom"/>.</summary>
    protected void Begin(long start, long measureFrom)
    {
        _warmup = new PhaseRecorder(start);
        _measured = new PhaseRecorder(measureFrom);
        Interlocked.Exchange(ref _measureFrom, measureFrom);
    }

    protected void Record(Outcome outcome, long intended, long sent, long completed) =>
        (intended < Interlocked.Read(ref _measureFrom) ? _warmup! : _measured!).Record(outcome, intended, sent, completed);

    /// <summary>Both phases' results once every request has finished, over the measured window (first due to last completion).</summary>
    protected RunMeasurement Finish(CpuUse cpu)
    {
        long measureFrom = Interlocked.Read(ref _measureFrom);
        long last = Math.Max(_measured!.LastCompletion, measureFrom + 1);
        double seconds = Stopwatch.GetElapsedTime(measureFrom, last).TotalSeconds;
        return new RunMeasurement(_warmup!.Snapshot(), _measured.Snapshot(), seconds, cpu, ProcessCpu.LoadAverage());
    }
}
