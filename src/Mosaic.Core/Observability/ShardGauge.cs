namespace Mosaic.Core.Observability;

/// <summary>One held shard replica's figures for the per-shard gauges.</summary>
/// <param name="Searches">Searches the replica served since it opened (a counter: it restarts when the replica is re-created).</param>
public readonly record struct ShardGauge(string Collection, int Shard, string Node, long Documents, long Bytes, long Lag, long Searches = 0);
