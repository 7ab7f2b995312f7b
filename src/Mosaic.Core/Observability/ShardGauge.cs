namespace Mosaic.Core.Observability;

/// <summary>One held shard replica's figures for the per-shard gauges.</summary>
public readonly record struct ShardGauge(string Collection, int Shard, string Node, long Documents, long Bytes, long Lag);
