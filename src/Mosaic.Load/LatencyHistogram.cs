using HdrHistogram;
using Mosaic.Load.Results;

namespace Mosaic.Load;

/// <summary>An HdrHistogram of microseconds (1 µs to 60 s, 3 significant digits); not thread-safe, its owner locks.</summary>
public sealed class LatencyHistogram
{
    private const long HighestMicros = 60_000_000;
    private readonly LongHistogram _histogram = new(HighestMicros, 3);

    public long Count => _histogram.TotalCount;

    public void Record(long stopwatchTicks)
    {
        long micros = Math.Max(1, stopwatchTicks * 1_000_000 / System.Diagnostics.Stopwatch.Frequency);
        _histogram.RecordValue(Math.Min(micros, HighestMicros));
    }

    public LatencySummary Summary()
    {
        if (_histogram.TotalCount == 0)
        {
            return new LatencySummary(0, 0, 0, 0, 0, 0, 0);
        }

        static double Ms(long micros) => Math.Round(micros / 1000.0, 3);
        return new LatencySummary(
            Ms(_histogram.GetValueAtPercentile(50)),
            Ms(_histogram.GetValueAtPercentile(90)),
            Ms(_histogram.GetValueAtPercentile(99)),
            Ms(_histogram.GetValueAtPercentile(99.9)),
            Ms(_histogram.GetMaxValue()),
            Math.Round(_histogram.GetMean() / 1000.0, 3),
            _histogram.TotalCount);
    }
}
