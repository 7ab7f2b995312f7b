namespace Mosaic.Hosting.Access;

/// <summary>One key's bucket in this process: <see cref="Capacity"/> tokens at most, refilled at <see cref="Rate"/> a second.</summary>
/// <remarks>The same arithmetic as the Redis script of <see cref="KeyRateLimiter"/>, so a limit means the same either way.</remarks>
internal sealed class TokenBucket(double rate, double capacity, long nowMs)
{
    private readonly Lock _lock = new();
    private double _tokens = capacity;
    private long _updatedMs = nowMs;

    /// <summary>The longest wait a refusal names: Retry-After is whole seconds in an int.</summary>
    /// <remarks>A key may have any positive rate; at 1e-300 a second the next token is 1e300 s away, past what a TimeSpan holds.</remarks>
    public const long MaxRetryAfterMs = int.MaxValue * 1000L;

    public double Rate { get; } = rate;

    public double Capacity { get; } = capacity;

    /// <summary>Takes a token if there is one; otherwise how long until there is.</summary>
    public (bool Allowed, TimeSpan RetryAfter) TryTake(long nowMs)
    {
        lock (_lock)
        {
            _tokens = Math.Min(Capacity, _tokens + (Math.Max(0, nowMs - _updatedMs) * Rate / 1000));
            _updatedMs = Math.Max(_updatedMs, nowMs);
            if (_tokens >= 1)
            {
                _tokens -= 1;
                return (true, TimeSpan.Zero);
            }

            return (false, TimeSpan.FromMilliseconds(Math.Min(Math.Ceiling((1 - _tokens) * 1000 / Rate), MaxRetryAfterMs)));
        }
    }

    /// <summary>True when the bucket is full again, i.e. no different from a new one.</summary>
    public bool IsFull(long nowMs)
    {
        lock (_lock)
        {
            return _tokens + (Math.Max(0, nowMs - _updatedMs) * Rate / 1000) >= Capacity;
        }
    }
}
