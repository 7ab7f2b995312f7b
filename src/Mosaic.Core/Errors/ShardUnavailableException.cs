namespace Mosaic.Core.Errors;

/// <summary>A shard replica exists but cannot answer (still building, failed, or gone); the coordinator tries another.</summary>
public sealed class ShardUnavailableException(string message) : Exception(message);
