namespace Mosaic.Load;

/// <summary>The bounds that keep a run finite and sensible, named by the command-line option a user would fix.</summary>
public static class LoadChecks
{
    /// <summary>The search modes a load can send.</summary>
    public static IReadOnlyList<string> Modes { get; } = ["vector", "keyword", "hybrid"];

    /// <summary>Seconds from a command line as a <see cref="TimeSpan"/> for <see cref="Problem"/> to judge, whatever the number.</summary>
    /// <remarks>TimeSpan.FromSeconds throws on NaN and past about ±2.9e12 s (an unhandled exception where a bad option
    /// must exit 2 with a message): NaN and Infinity become <see cref="TimeSpan.MinValue"/>, other numbers stop at ±1e9 s,
    /// all outside every range checked here.</remarks>
    public static TimeSpan Seconds(double seconds) =>
        double.IsFinite(seconds) ? TimeSpan.FromSeconds(Math.Clamp(seconds, -1e9, 1e9)) : TimeSpan.MinValue;

    /// <summary>The first problem with these settings, or null when they are fine.</summary>
    public static string? Problem(LoadShape s, string mode, int topK, TimeSpan timeout)
    {
        if (!Modes.Contains(mode))
        {
            return $"--mode must be vector, keyword or hybrid, got '{mode}'";
        }

        if (s.Loop == LoopKind.Closed && s.Clients is < 1 or > 1024)
        {
            return "--clients must be within 1..1024";
        }

        if (s.Loop == LoopKind.Open && (!double.IsFinite(s.Rate) || s.Rate is <= 0 or > 100_000))
        {
            return "--rate must be within (0, 100000] for the open loop";
        }

        if (s.Duration <= TimeSpan.Zero || s.Duration > TimeSpan.FromHours(1))
        {
            return "--duration must be within (0, 3600] seconds";
        }

        if (s.Warmup < TimeSpan.Zero || s.Warmup > TimeSpan.FromMinutes(10))
        {
            return "--warmup must be within [0, 600] seconds";
        }

        if (s.MaxRequests is < 1 or > 100_000_000)
        {
            return "--max-requests must be within 1..100000000";
        }

        if (s.MaxInFlight is < 1 or > 10_000)
        {
            return "--max-in-flight must be within 1..10000";
        }

        if (topK is < 1 or > 1000)
        {
            return "--top-k must be within 1..1000";
        }

        return timeout <= TimeSpan.Zero || timeout > TimeSpan.FromMinutes(1) ? "--timeout-ms must be within 1..60000" : null;
    }
}
