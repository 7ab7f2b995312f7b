namespace Mosaic.Load;

/// <summary>What a runner measured: both phases, the measured window's length and the CPU used in it.</summary>
public sealed record RunMeasurement(
    PhaseSnapshot Warmup,
    PhaseSnapshot Measured,
    double MeasuredSeconds,
    CpuUse Cpu,
    string? LoadAverageAtEnd);
