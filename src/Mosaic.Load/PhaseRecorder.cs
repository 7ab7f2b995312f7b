using Mosaic.Load.Results;

namespace Mosaic.Load;

/// <summary>What one phase (warm-up or measurement) saw: latency histograms and outcome counts, safe for concurrent use.</summary>
/// <remarks>
/// Latency is from the intended send time (closed loop: the actual send; open loop: the scheduled time). Service time is
/// from the actual send, and dispatch lag is actual minus scheduled send (open loop only), so the generator's own delay
/// can be told apart from the server's. Only answered requests (ok, empty, partial) enter the histograms.
/// A per-second timeline (by completion time, from <c>origin</c>) shows stalls that percentiles only summarize.
/// </remarks>
public sealed class PhaseRecorder(long origin)
{
    private const int MaxTimelineSeconds = 3600;
    private readonly Lock _lock = new();
    private readonly LatencyHistogram _latency = new();
    private readonly LatencyHistogram _service = new();
    private readonly LatencyHistogram _lag = new();
    private readonly SortedDictionary<string, long> _errors = new(StringComparer.Ordinal);
    private long _ok;
    private long _empty;
    private long _partial;
    private long _failed;
    private long _lastCompletion;
    private readonly List<(long Completed, long Errors, long MaxTicks)> _timeline = [];

    /// <summary>Stopwatch timestamp of the latest completion recorded.</summary>
    public long LastCompletion
    {
        get
        {
            lock (_lock)
            {
                return _lastCompletion;
            }
        }
    }

    public long Requests
    {
        get
        {
            lock (_lock)
            {
                return _ok + _empty + _partial + _failed;
            }
        }
    }

    public void Record(Outcome outcome, long intended, long sent, long completed)
    {
        lock (_lock)
        {
            _lastCompletion = Math.Max(_lastCompletion, completed);
            switch (outcome.Kind)
            {
                case OutcomeKind.Ok:
                    _ok++;
                    break;
                case OutcomeKind.Empty:
                    _empty++;
                    break;
                case OutcomeKind.Partial:
                    _partial++;
                    break;
                default:
                    _failed++;
                    break;
            }

            if (outcome.Error is { } error)
            {
                _errors[error] = _errors.GetValueOrDefault(error) + 1;
            }

            long second = (completed - origin) / System.Diagnostics.Stopwatch.Frequency;
            if (second is >= 0 and < MaxTimelineSeconds)
            {
                while (_timeline.Count <= second)
                {
                    _timeline.Add((0, 0, 0));
                }

                var point = _timeline[(int)second];
                _timeline[(int)second] = (point.Completed + 1, point.Errors + (outcome.IsError ? 1 : 0), Math.Max(point.MaxTicks, completed - intended));
            }

            if (outcome.Kind != OutcomeKind.Failed)
            {
                _latency.Record(completed - intended);
                _service.Record(completed - sent);
                _lag.Record(sent - intended);
            }
        }
    }

    public PhaseSnapshot Snapshot()
    {
        lock (_lock)
        {
            return new PhaseSnapshot(
                _ok + _empty + _partial + _failed,
                _ok,
                _empty,
                _partial + _failed,
                new Dictionary<string, long>(_errors),
                _latency.Summary(),
                _service.Summary(),
                _lag.Summary(),
                [.. _timeline.Select((p, i) => new TimelinePoint(i, p.Completed, p.Errors, Math.Round(p.MaxTicks * 1000.0 / System.Diagnostics.Stopwatch.Frequency, 1)))]);
        }
    }
}
