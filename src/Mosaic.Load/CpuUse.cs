namespace Mosaic.Load;

/// <summary>CPU use over a window in percent of one core: the generator, the server, and every other process on the machine.</summary>
/// <remarks>
/// ServerRunQueueWait is the time server threads were ready but not running, in percent of the window. It counts CPU
/// taken by other processes and also the runtime's own spin-then-yield waits, so it is a hint, not a noise measure;
/// Others is the direct one.
/// </remarks>
public readonly record struct CpuUse(double LoadGen, double? Server, double? ServerRunQueueWait, double? Others);
