namespace Mosaic.Worker.Shards;

/// <summary>
/// Which failures of a run of retries to log: the first, one that differs from the last logged, then one a minute. A
/// replica that retries every poll on a full disk would otherwise log the same stack trace every second, per shard.
/// </summary>
internal sealed class FailureRun(TimeProvider time)
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMinutes(1);
    private string? _lastLogged;
    private long _loggedAt;

    /// <summary>Failures since the last success.</summary>
    public int Count { get; private set; }

    /// <summary>Counts a failure; true when it should be logged.</summary>
    public bool Failed(Exception error)
    {
        Count++;
        string key = error.GetType().FullName + ": " + error.Message;
        if (Count > 1 && key == _lastLogged && time.GetElapsedTime(_loggedAt) < Quiet)
        {
            return false;
        }

        _lastLogged = key;
        _loggedAt = time.GetTimestamp();
        return true;
    }

    /// <summary>Ends the run; returns how many failures it had (0: there was none).</summary>
    public int Succeeded()
    {
        int failures = Count;
        Count = 0;
        _lastLogged = null;
        return failures;
    }
}
