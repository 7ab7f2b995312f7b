using Mosaic.Contracts;

namespace Mosaic.Hosting.Observability;

/// <summary>A node in one sample: what the store says of it, and its own signals (null when it did not answer in time).</summary>
public sealed record NodeSample(NodeResponse Node, SignalWindow? Signals, long? WorkingSetBytes);
