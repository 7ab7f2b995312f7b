namespace Mosaic.LoadGen.Probe;

/// <summary>When a (re)starting server first answered /health, /ready and a full search; times in ms since <see cref="SinceEpochMs"/>.</summary>
/// <remarks>SinceEpochMs is the caller's reference (e.g. the moment the server process was spawned), else the probe's own start.</remarks>
internal sealed record ProbeResult(
    double SinceEpochMs,
    double ProbeStartMs,
    double? HealthMs,
    double? ReadyMs,
    double? SearchMs,
    int SearchHits,
    long HealthAttempts,
    long ReadyAttempts,
    long SearchAttempts,
    string? LastNotReady,
    bool TimedOut);
